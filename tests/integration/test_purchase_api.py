"""Purchase orders through the public API of a real `orderd serve` with the
in-process simulator: SKUs, atomic reservation under racing clients, signed
payment notifies (forged, stale, replayed), the unpaid deadline, a payment
for a closed order, refunds, bad input that must change nothing, and at the
end the reconciliation report and `orderd check`."""
import hashlib, hmac, json, os, subprocess, sys, threading, time, unittest
from concurrent.futures import ThreadPoolExecutor
sys.path.insert(0, os.path.dirname(__file__))
from harness import EXE, Env, call, wait_until

SECRET = "it-secret"
ADMIN = "it-admin"
AUTH = {"Authorization": "Bearer " + ADMIN}


def sign(body, t=None, secret=SECRET):
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


class PurchaseApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = Env()
        cls.ok = True
        cls.srv = cls.env.serve("--notify-secret", SECRET, "--admin-token", ADMIN, "--sim-latency", "2ms",
                                "--unpaid-timeout", "3s", "--refund-recheck", "300ms", "--scan-interval", "1s")
        cls.base = cls.srv.base

    @classmethod
    def tearDownClass(cls):
        cls.env.close(keep=not cls.ok)

    def run(self, result=None):
        r = super().run(result)
        if result is not None and (result.failures or result.errors):
            type(self).ok = False
        return r

    # helpers
    def sku(self, name, stock, price):
        c, b, _ = call("PUT", f"{self.base}/v1/skus/{name}", {"stock": stock, "price": price}, AUTH)
        self.assertEqual(c, 200, b)
        return b

    def get_sku(self, name):
        c, b, _ = call("GET", f"{self.base}/v1/skus/{name}")
        self.assertEqual(c, 200, b)
        return b

    def order(self, user, items, **kw):
        return call("POST", self.base + "/v1/orders", {"user": user, "items": items}, **kw)

    def get(self, oid):
        c, o, _ = call("GET", f"{self.base}/v1/orders/{oid}")
        self.assertEqual(c, 200, o)
        return o

    def wait_status(self, oid, status, timeout=15):
        return wait_until(lambda: (lambda o: o if o["status"] == status else None)(self.get(oid)), timeout,
                          what=f"{oid} to be {status}")

    def notify(self, body, header=None):
        raw = json.dumps(body).encode()
        return call("POST", self.base + "/v1/payments/notify", raw,
                    {"Orderd-Signature": header if header is not None else sign(raw)})

    def invariant(self, name):
        s = self.get_sku(name)
        self.assertEqual(s["available"] + s["reserved"] + s["sold"], s["stock"], s)
        self.assertTrue(min(s["available"], s["reserved"], s["sold"]) >= 0, s)
        return s

    # tests
    def test_a_paid_order_completes_and_awards_points(self):
        self.sku("A1", 10, 1999)
        c, o, h = self.order("alice", [{"sku": "A1", "qty": 2}])
        self.assertEqual(c, 201, o)
        self.assertEqual((o["status"], o["amount"], o["paid"], o["refunded"]), ("pending_payment", 3998, 0, 0))
        self.assertEqual(h["Location"], "/v1/orders/" + o["id"])
        self.assertEqual(self.get_sku("A1")["reserved"], 2)
        c, p, _ = call("POST", f"{self.base}/v1/sim/pay/{o['id']}", {})
        self.assertEqual(c, 202, p)
        done = self.wait_status(o["id"], "completed")
        self.assertEqual(done["steps"], {"commit_stock": "done", "award_points": "done"})
        self.assertEqual(done["paid"], 3998)
        self.assertIn("paid", [e["type"] for e in done["events"]])
        s = self.invariant("A1")
        self.assertEqual((s["available"], s["reserved"], s["sold"]), (8, 0, 2))
        self.assertEqual(call("GET", f"{self.base}/v1/users/alice")[1]["points"], 39)
        # cancel on a paid order → 409; refund → refunded, stock back, points revoked
        self.assertEqual(call("POST", f"{self.base}/v1/orders/{o['id']}/cancel")[0], 409)
        c, r, _ = call("POST", f"{self.base}/v1/orders/{o['id']}/refund")
        self.assertEqual((c, r["status"]), (202, "refund_pending"))
        self.assertEqual(call("POST", f"{self.base}/v1/orders/{o['id']}/refund")[0], 409)
        done = self.wait_status(o["id"], "refunded")
        self.assertEqual((done["paid"], done["refunded"]), (3998, 3998))
        s = self.invariant("A1")
        self.assertEqual((s["available"], s["reserved"], s["sold"]), (10, 0, 0))
        self.assertEqual(call("GET", f"{self.base}/v1/users/alice")[1]["points"], 0)

    def test_b_unpaid_order_expires_and_releases_stock(self):
        self.sku("B1", 5, 100)
        c, o, _ = self.order("bob", [{"sku": "B1", "qty": 5}])
        self.assertEqual(c, 201, o)
        self.assertEqual(self.order("bob", [{"sku": "B1", "qty": 1}])[0], 409)  # all reserved
        # long poll: answers when the status leaves pending_payment (deadline 3 s)
        t0 = time.time()
        c, w, _ = call("GET", f"{self.base}/v1/orders/{o['id']}?wait=20&since=pending_payment", timeout=30)
        self.assertEqual(c, 200)
        self.assertNotEqual(w["status"], "pending_payment")
        self.assertLess(time.time() - t0, 15)
        done = self.wait_status(o["id"], "closed")
        self.assertEqual((done["paid"], done["refunded"]), (0, 0))
        self.assertEqual(self.invariant("B1")["available"], 5)
        # seed 003: the customer pays anyway at the provider → recorded, refunded, stays closed
        c, p, _ = call("POST", f"{self.base}/v1/sim/pay/{o['id']}", {})
        self.assertEqual(c, 409, p)  # closed at the provider
        c, p, _ = call("POST", f"{self.base}/v1/sim/pay/{o['id']}", {"even_if_closed": True})
        self.assertEqual(c, 202, p)
        late = wait_until(lambda: (lambda x: x if x["refunded"] == 500 else None)(self.get(o["id"])), 15,
                          what="automatic refund of the late payment")
        self.assertEqual((late["status"], late["paid"], late["refunded"]), ("closed", 500, 500))
        self.assertIn("late_payment", late["flags"])
        att = call("GET", self.base + "/v1/attention")[1]["items"]
        self.assertIn((o["id"], "late_payment"), [(a["order_id"], a["kind"]) for a in att])
        self.assertEqual(self.invariant("B1")["available"], 5)

    def test_c_cancel_closes_and_is_idempotent(self):
        self.sku("C1", 3, 700)
        c, o, _ = self.order("carol", [{"sku": "C1", "qty": 3}])
        self.assertEqual(c, 201)
        c, r, _ = call("POST", f"{self.base}/v1/orders/{o['id']}/cancel")
        self.assertEqual(c, 202, r)
        self.assertIn(r["status"], ("closing", "closed"))
        self.assertEqual(call("POST", f"{self.base}/v1/orders/{o['id']}/cancel")[0], 202)
        self.wait_status(o["id"], "closed")
        self.assertEqual(self.invariant("C1")["available"], 3)
        self.assertEqual(call("POST", f"{self.base}/v1/orders/{o['id']}/refund")[0], 409)
        self.assertEqual(call("POST", f"{self.base}/v1/orders/po_nope/cancel")[0], 404)

    def test_d_signatures_and_replays(self):
        self.sku("D1", 5, 250)
        c, o, _ = self.order("dave", [{"sku": "D1", "qty": 2}])
        oid = o["id"]
        body = {"order_id": oid, "payment_id": "pay-d-1", "amount": 500, "status": "SUCCESS"}
        raw = json.dumps(body).encode()
        now = int(time.time())
        for header in ["", "garbage", sign(raw, secret="wrong"), sign(raw, t=now - 301), sign(raw, t=now + 301),
                       sign(raw)[:-2] + "00", "t=1,v1=00"]:
            c, p, h = call("POST", self.base + "/v1/payments/notify", raw, {"Orderd-Signature": header} if header else {})
            self.assertEqual(c, 401, (header, p))
            self.assertIn("problem+json", h["Content-Type"])
        # a body other than the one signed
        c, _, _ = call("POST", self.base + "/v1/payments/notify", raw.replace(b"500", b"501"),
                       {"Orderd-Signature": sign(raw)})
        self.assertEqual(c, 401)
        self.assertEqual(self.get(oid)["paid"], 0)  # nothing changed
        c, r, _ = self.notify(body, sign(raw, t=now - 290))  # inside the tolerance
        self.assertEqual((c, r["result"]), (200, "recorded"), r)
        c, r, _ = self.notify(body)  # replay: same payment_id
        self.assertEqual((c, r["result"]), (200, "duplicate"), r)
        done = self.wait_status(oid, "completed")
        self.assertEqual((done["paid"], done["payment_ids"]), (500, ["pay-d-1"]))
        # the same payment_id for another order is refused
        c, o2, _ = self.order("dave", [{"sku": "D1", "qty": 1}])
        c, _, _ = self.notify({"order_id": o2["id"], "payment_id": "pay-d-1", "amount": 250, "status": "SUCCESS"})
        self.assertEqual(c, 409)
        c, _, _ = self.notify({"order_id": "po_missing", "payment_id": "pay-d-x", "amount": 1, "status": "SUCCESS"})
        self.assertEqual(c, 404)
        c, p, _ = self.notify({"order_id": oid, "payment_id": "pay-d-2", "amount": "500", "status": "SUCCESS"})
        self.assertEqual((c, p.get("field")), (422, "amount"))

    def test_e_wrong_amount_is_recorded_flagged_refunded_then_closed(self):
        self.sku("E1", 5, 1000)
        c, o, _ = self.order("erin", [{"sku": "E1", "qty": 1}])
        c, r, _ = call("POST", f"{self.base}/v1/sim/pay/{o['id']}", {"amount": 999})
        self.assertEqual(c, 202, r)
        got = wait_until(lambda: (lambda x: x if x["refunded"] == 999 else None)(self.get(o["id"])), 15,
                         what="refund of the wrong amount")
        self.assertEqual(got["paid"], 999)
        self.assertIn("amount_mismatch", got["flags"])
        # at the deadline the provider refuses to close (it holds that payment): the order closes anyway
        done = self.wait_status(o["id"], "closed")
        self.assertEqual((done["paid"], done["refunded"]), (999, 999))
        self.assertEqual(self.invariant("E1")["available"], 5)

    def test_f_bad_input_changes_nothing(self):
        self.sku("F1", 4, 100)
        before_sku = self.get_sku("F1")
        before_list = call("GET", self.base + "/v1/orders?limit=500")[1]["items"]
        cases = [
            ({"user": "f", "items": [{"sku": "NOPE", "qty": 1}]}, 422, "items[0].sku"),
            ({"user": "f", "items": [{"sku": "F1", "qty": 0}]}, 422, "items[0].qty"),
            ({"user": "f", "items": [{"sku": "F1", "qty": -2}]}, 422, "items[0].qty"),
            ({"user": "f", "items": [{"sku": "F1", "qty": 1.5}]}, 422, "items[0].qty"),
            ({"user": "f", "items": []}, 422, "items"),
            ({"user": "f"}, 422, "items"),
            ({"items": [{"sku": "F1", "qty": 1}]}, 422, "user"),
            ({"user": "f", "items": [{"sku": "F1", "qty": 1}, {"sku": "F1", "qty": 1}]}, 422, "items[1].sku"),
            ({"user": "f", "items": [{"sku": "F1", "qty": 1}, {"sku": "NOPE", "qty": 1}]}, 422, "items[1].sku"),
            ({"user": "f", "items": [{"sku": "F1", "qty": 5}]}, 409, None),
            ({"user": "f", "items": "F1"}, 422, "items"),
        ]
        for body, code, field in cases:
            c, p, h = call("POST", self.base + "/v1/orders", body)
            self.assertEqual(c, code, (body, p))
            self.assertIn("problem+json", h["Content-Type"])
            if field:
                self.assertEqual(p.get("field"), field, (body, p))
        c, _, _ = call("POST", self.base + "/v1/orders", b"{not json")
        self.assertEqual(c, 400)
        self.assertEqual(call("PUT", f"{self.base}/v1/skus/F1", {"stock": 9, "price": 1})[0], 401)
        self.assertEqual(call("PUT", f"{self.base}/v1/skus/F1", {"stock": -1, "price": 1}, AUTH)[1].get("field"), "stock")
        self.assertEqual(call("PUT", f"{self.base}/v1/skus/F1", {"stock": 1, "price": -1}, AUTH)[1].get("field"), "price")
        self.assertEqual(call("PUT", f"{self.base}/v1/skus/NEW", {"stock": 1}, AUTH)[1].get("field"), "price")
        self.assertEqual(self.get_sku("F1"), before_sku)
        self.assertEqual(call("GET", self.base + "/v1/orders?limit=500")[1]["items"], before_list)
        self.assertEqual(call("GET", f"{self.base}/v1/skus/NEW")[0], 404)

    def test_g_racing_clients_never_oversell(self):
        self.sku("G1", 25, 10)
        self.sku("G2", 40, 20)
        results = []
        lock = threading.Lock()
        stop = time.time() + 3

        def watcher():
            while time.time() < stop:
                for name in ("G1", "G2"):
                    self.invariant(name)

        def client(i):
            c, o, _ = self.order(f"g{i}", [{"sku": "G1", "qty": 1 + i % 3}, {"sku": "G2", "qty": 1 + i % 2}])
            with lock:
                results.append((c, o, i))
        w = threading.Thread(target=watcher)
        w.start()
        with ThreadPoolExecutor(32) as ex:
            list(ex.map(client, range(120)))
        w.join()
        self.assertEqual({c for c, _, _ in results} - {201, 409}, set(), results[:3])
        won = [(o, i) for c, o, i in results if c == 201]
        g1 = sum(1 + i % 3 for _, i in won)
        g2 = sum(1 + i % 2 for _, i in won)
        self.assertLessEqual(g1, 25)
        self.assertLessEqual(g2, 40)
        self.assertTrue(g1 >= 23 or g2 >= 39, (g1, g2))  # the stock was really contended to the end
        # Every 201 holds its units until it closes: on a slow machine the
        # first orders may already have expired (--unpaid-timeout 3s) and
        # released theirs, so compare with the orders still open, read with no
        # status change between two reads around the SKU read.
        for _ in range(50):
            before = {o["id"]: self.get(o["id"])["status"] for o, _ in won}
            s1, s2 = self.invariant("G1"), self.invariant("G2")
            if before == {oid: self.get(oid)["status"] for oid in before}:
                break
        else:
            self.fail("order statuses never held still around a SKU read")
        held = [(o, i) for o, i in won if before[o["id"]] in ("pending_payment", "closing")]
        self.assertEqual(set(before.values()) - {"pending_payment", "closing", "closed"}, set(), before)
        self.assertEqual((s1["reserved"], s2["reserved"]),
                         (sum(1 + i % 3 for _, i in held), sum(1 + i % 2 for _, i in held)))

    def test_h_idempotency_key(self):
        self.sku("H1", 5, 300)
        body = {"user": "hank", "items": [{"sku": "H1", "qty": 1}]}
        c1, o1, _ = call("POST", self.base + "/v1/orders", body, {"Idempotency-Key": "h-1"})
        c2, o2, h2 = call("POST", self.base + "/v1/orders", body, {"Idempotency-Key": "h-1"})
        self.assertEqual((c1, c2, o1["id"]), (201, 201, o2["id"]))
        self.assertEqual(h2.get("Idempotent-Replayed"), "true")
        self.assertEqual(self.get_sku("H1")["reserved"], 1)
        c3, p3, _ = call("POST", self.base + "/v1/orders", {**body, "user": "other"}, {"Idempotency-Key": "h-1"})
        self.assertEqual((c3, p3.get("field")), (422, "Idempotency-Key"))

    def test_z_reconciliation_and_offline_check(self):
        # let every earlier order settle: expiries close, refunds finish
        def settled():
            rec = call("GET", self.base + "/v1/reconciliation")[1]
            items = call("GET", self.base + "/v1/orders?limit=500")[1]["items"]
            busy = [o for o in items if o["status"] in ("pending_payment", "closing", "paid", "refund_pending")]
            return rec if rec["outstanding"] == 0 and not busy else None
        rec = wait_until(settled, 30, interval=0.3, what="all orders settled")
        self.assertEqual(rec["violations"], [])
        self.assertGreaterEqual(rec["orders_checked"], 15)
        self.assertGreater(rec["refunded_total"], 0)
        for o in call("GET", self.base + "/v1/orders?limit=500")[1]["items"]:
            if o["status"] in ("closed", "refunded"):
                self.assertEqual(o["paid"], o["refunded"], o["id"])
        self.assertEqual(self.srv.term(), 0)
        r = subprocess.run([EXE, "check", "--data", os.path.join(self.env.tmp, "data")], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("0 violations", r.stdout)


if __name__ == "__main__":
    unittest.main()

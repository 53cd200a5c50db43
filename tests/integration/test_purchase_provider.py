"""Purchase orders against `orderd provider-sim` over HTTP, the provider's
state being the ground truth: some orders paid, others left to expire, closed
ones paid anyway (even_if_closed), paid ones refunded at once (fulfilment
maybe unfinished), the provider down during refunds and back, a kill -9 in
the middle. At the end every order is settled, the engine's money agrees
with the provider's, every SKU invariant holds, outstanding is 0, the
reconciliation has no violations and `orderd check` exits 0."""
import os, random, subprocess, sys, time, unittest
from concurrent.futures import ThreadPoolExecutor
sys.path.insert(0, os.path.dirname(__file__))
from harness import EXE, Env, Proc, call, wait_until

SECRET = "pp-secret"
SKUS = {"P1": (30, 1500), "P2": (50, 990), "P3": (20, 4200)}


def faults(provider, **kw):
    c, b, _ = call("PUT", provider.base + "/faults", kw)
    assert c in (200, 204), (c, b)


class PurchaseOverHttpProvider(unittest.TestCase):
    def setUp(self):
        self.env = Env()
        self.ok = False
        self.data = os.path.join(self.env.tmp, "data")
        # Both ports are known before either starts: each names the other.
        self.srv = Proc(["serve", "--data", self.data, "--notify-secret", SECRET, "--unpaid-timeout", "3s",
                         "--refund-recheck", "300ms", "--scan-interval", "1s", "--attempt-timeout", "2s"],
                        self.env.tmp, "orderd")
        self.prov = Proc(["provider-sim", "--sim-latency", "2ms", "--notify-secret", SECRET, "--notify-url",
                          f"http://127.0.0.1:{self.srv.port}/v1/payments/notify"], self.env.tmp, "provider")
        self.srv.args += ["--provider", self.prov.base]
        self.env.procs += [self.srv, self.prov]
        self.prov.start()
        self.srv.start()
        for sku, (stock, price) in SKUS.items():
            self.assertEqual(call("PUT", f"{self.srv.base}/v1/skus/{sku}", {"stock": stock, "price": price})[0], 200)

    def tearDown(self):
        self.env.close(keep=not self.ok)

    def order(self, i):
        rnd = random.Random(i)
        items = [{"sku": s, "qty": rnd.randint(1, 2)} for s in rnd.sample(sorted(SKUS), rnd.randint(1, 2))]
        c, o, _ = call("POST", self.srv.base + "/v1/orders", {"user": f"u{i % 7}", "items": items},
                       {"Idempotency-Key": f"pp-{i}"})
        self.assertIn(c, (201, 409), o)
        return o if c == 201 else None

    def pay(self, o, even_if_closed=False):
        return call("POST", f"{self.prov.base}/pay/{o['id']}", {"amount": o["amount"], "even_if_closed": even_if_closed})

    def get(self, oid):
        c, o, _ = call("GET", f"{self.srv.base}/v1/orders/{oid}")
        self.assertEqual(c, 200, o)
        return o

    def test_pay_expire_late_pay_refund_outage_and_kill9(self):
        with ThreadPoolExecutor(16) as ex:
            orders = [o for o in ex.map(self.order, range(60)) if o]
        self.assertGreater(len(orders), 20)
        paid, unpaid = orders[::2], orders[1::2]
        with ThreadPoolExecutor(8) as ex:
            codes = list(ex.map(lambda o: self.pay(o)[0], paid))
        self.assertEqual(set(codes), {200}, codes)
        # refund half of the paid ones right away (their steps may still be running)
        refunding = paid[::2]
        for o in refunding:
            c = wait_until(lambda: (lambda r: r if r[0] in (202, 409) else None)(
                call("POST", f"{self.srv.base}/v1/orders/{o['id']}/refund")), 10, what="refund accepted")[0]
            if c == 409:  # the notify has not landed yet: wait for paid, then refund
                wait_until(lambda: self.get(o["id"])["status"] in ("paid", "completed"), 10, what="paid")
                self.assertEqual(call("POST", f"{self.srv.base}/v1/orders/{o['id']}/refund")[0], 202)
        # the provider goes down while refunds run, and orderd is killed meanwhile
        faults(self.prov, fail_rate=1.0)
        time.sleep(1.5)
        self.srv.kill9()
        self.srv.start()
        time.sleep(1.0)
        faults(self.prov, fail_rate=0.2, timeout_rate=0.05, latency="5ms")
        # unpaid ones expire (3 s); once closed, a third of them are paid anyway (seed 003)
        late = unpaid[::3]
        for o in late:
            wait_until(lambda: self.get(o["id"])["status"] == "closed", 30, interval=0.2, what=f"{o['id']} closed")
            c, b, _ = self.pay(o, even_if_closed=True)
            self.assertEqual(c, 200, b)
        faults(self.prov, fail_rate=0, timeout_rate=0, latency="0ms")

        def settled():
            items = [self.get(o["id"]) for o in orders]
            rec = call("GET", self.srv.base + "/v1/reconciliation")[1]
            busy = [o["id"] for o in items if o["status"] not in ("completed", "closed", "refunded")]
            return (items, rec) if not busy and rec["outstanding"] == 0 else None
        items, rec = wait_until(settled, 90, interval=0.5, what="every order settled and nothing outstanding")
        self.assertEqual(rec["violations"], [])
        by_id = {o["id"]: o for o in items}
        for o in refunding:
            self.assertEqual(by_id[o["id"]]["status"], "refunded")
        for o in late:
            self.assertEqual((by_id[o["id"]]["status"], by_id[o["id"]]["paid"], by_id[o["id"]]["refunded"]),
                             ("closed", o["amount"], o["amount"]))
        # the engine's money agrees with the provider's ground truth
        for o in items:
            c, t, _ = call("GET", f"{self.prov.base}/truth/payments/{o['id']}")
            self.assertEqual(c, 200)
            self.assertEqual(o["paid"], t["amount"] if t["status"] == "paid" else 0, (o, t))
            self.assertEqual(o["refunded"], t["refunded"], (o, t))
        for sku, (stock, _) in SKUS.items():
            s = call("GET", f"{self.srv.base}/v1/skus/{sku}")[1]
            sold = sum(it["qty"] for o in items if o["status"] == "completed" for it in o["items"] if it["sku"] == sku)
            self.assertEqual((s["available"] + s["reserved"] + s["sold"], s["reserved"], s["sold"]), (stock, 0, sold), s)
        self.assertEqual(self.srv.term(), 0)
        r = subprocess.run([EXE, "check", "--data", self.data], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.ok = True


if __name__ == "__main__":
    unittest.main()

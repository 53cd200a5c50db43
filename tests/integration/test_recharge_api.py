"""Recharge API against a real `orderd serve` with the built-in simulator:
create, long poll, idempotency, listing, bad input (nothing written), 413."""
import json, os, sys, time, unittest
sys.path.insert(0, os.path.dirname(__file__))
from harness import Env, call, wait_until

FAST = ["--sim-latency", "5ms", "--result-timeout", "4s", "--attempt-timeout", "1s"]


class RechargeApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = Env()
        cls.srv = cls.env.serve(*FAST)
        cls.base = cls.srv.base

    @classmethod
    def tearDownClass(cls):
        cls.env.close()

    def count(self):
        c, body, _ = call("GET", self.base + "/v1/recharges?limit=500")
        self.assertEqual(c, 200)
        return len(body["items"])

    def test_create_then_long_poll_until_succeeded(self):
        c, r, h = call("POST", self.base + "/v1/recharges", {"account": "13800000000", "amount": 1000})
        self.assertEqual(c, 202, r)
        self.assertEqual(r["status"], "queued")
        self.assertTrue(r["id"].startswith("rc_"))
        self.assertTrue(r["deadline_at"].endswith("Z"))
        t0 = time.time()
        c, o, _ = call("GET", f"{self.base}/v1/recharges/{r['id']}?wait=10")
        self.assertEqual(c, 200)
        self.assertEqual(o["status"], "succeeded")
        self.assertLess(time.time() - t0, 5, "long poll should answer as soon as the order is terminal")
        self.assertEqual(o["amount"], 1000)
        self.assertEqual(len(o["attempts"]), 1)
        a = o["attempts"][0]
        self.assertEqual((a["n"], a["outcome"]), (1, "success"))
        self.assertIsNotNone(o["finished_at"])
        self.assertIsNone(o["late_result"])

    def test_invalid_account_fails_without_retry(self):
        c, r, _ = call("POST", self.base + "/v1/recharges", {"account": "invalid-1", "amount": 5})
        self.assertEqual(c, 202)
        c, o, _ = call("GET", f"{self.base}/v1/recharges/{r['id']}?wait=10")
        self.assertEqual(o["status"], "failed")
        self.assertEqual(len(o["attempts"]), 1)
        self.assertEqual(o["attempts"][0]["outcome"], "failed")

    def test_idempotency_key(self):
        body = {"account": "13800000001", "amount": 700}
        c1, r1, _ = call("POST", self.base + "/v1/recharges", body, {"Idempotency-Key": "k-1"})
        c2, r2, _ = call("POST", self.base + "/v1/recharges", body, {"Idempotency-Key": "k-1"})
        self.assertEqual((c1, c2), (202, 202))
        self.assertEqual(r1, r2)
        before = self.count()
        c3, p, h = call("POST", self.base + "/v1/recharges", {"account": "x", "amount": 1}, {"Idempotency-Key": "k-1"})
        self.assertEqual(c3, 422)
        self.assertIn("problem+json", h["Content-Type"])
        self.assertEqual(self.count(), before)

    def test_bad_bodies_name_the_field_and_write_nothing(self):
        before = self.count()
        cases = [
            ({"account": "1", "amount": -5}, "amount"),
            ({"account": "1", "amount": 0}, "amount"),
            ({"account": "1", "amount": "100"}, "amount"),
            ({"account": "1", "amount": 10.5}, "amount"),
            ({"account": "1", "amount": 1e30}, "amount"),
            ({"account": "1", "amount": 2**64}, "amount"),
            ({"account": "1", "amount": True}, "amount"),
            ({"account": "1"}, "amount"),
            ({"amount": 5}, "account"),
            ({"account": 5, "amount": 5}, "account"),
            ({"account": "", "amount": 5}, "account"),
            ({"account": "1", "amount": 5, "notify_url": 7}, "notify_url"),
        ]
        for body, field in cases:
            c, p, h = call("POST", self.base + "/v1/recharges", body)
            self.assertIn(c, (400, 422), (body, c, p))
            self.assertIn("problem+json", h["Content-Type"])
            self.assertIn(field, json.dumps(p), (body, p))
        for raw in [b'{"account":', b"[1,2]", b'"x"', b'{"account":"\xff\xfe","amount":5}', b""]:
            c, p, h = call("POST", self.base + "/v1/recharges", raw)
            self.assertIn(c, (400, 422), (raw, c, p))
            self.assertIn("problem+json", h["Content-Type"])
        c, p, h = call("POST", self.base + "/v1/recharges", b'{"account":"' + b"a" * 100_000 + b'","amount":1}')
        self.assertEqual(c, 413)
        self.assertEqual(self.count(), before, "a rejected request must write nothing")

    def test_list_newest_first_with_paging(self):
        ids = []
        for i in range(5):
            c, r, _ = call("POST", self.base + "/v1/recharges", {"account": f"1390000000{i}", "amount": 10 + i})
            ids.append(r["id"])
        c, page, _ = call("GET", self.base + "/v1/recharges?limit=3")
        self.assertEqual(c, 200)
        self.assertEqual([o["id"] for o in page["items"]], ids[::-1][:3])
        self.assertIsNotNone(page["next"])
        c, page2, _ = call("GET", self.base + "/v1/recharges?limit=2&after=" + page["next"])
        self.assertEqual([o["id"] for o in page2["items"]], ids[::-1][3:5])
        for rid in ids:
            call("GET", f"{self.base}/v1/recharges/{rid}?wait=10")
        c, done, _ = call("GET", self.base + "/v1/recharges?status=succeeded&limit=500")
        got = {o["id"] for o in done["items"]}
        self.assertTrue(set(ids) <= got)
        self.assertTrue(all(o["status"] == "succeeded" for o in done["items"]))
        c, p, _ = call("GET", self.base + "/v1/recharges?status=bogus")
        self.assertEqual(c, 422)
        c, p, _ = call("GET", self.base + "/v1/recharges?limit=0")
        self.assertEqual(c, 422)

    def test_unknown_order_is_404_problem(self):
        c, p, h = call("GET", self.base + "/v1/recharges/rc_nope")
        self.assertEqual(c, 404)
        self.assertIn("problem+json", h["Content-Type"])


if __name__ == "__main__":
    unittest.main(verbosity=2)

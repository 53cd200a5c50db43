"""Recharges against `orderd provider-sim` over HTTP, with faults: 20% 503s and
10% timeouts, an outage, a timed-out order settled late, and a kill -9 restart.
The provider's own state is the ground truth every order is compared with."""
import os, sys, time, unittest
from concurrent.futures import ThreadPoolExecutor
sys.path.insert(0, os.path.dirname(__file__))
from harness import Env, call, wait_until

RESULT_S, ATTEMPT_S = 6, 1


def serve_flags(provider):
    return ["--provider", provider.base, "--result-timeout", f"{RESULT_S}s", "--attempt-timeout", f"{ATTEMPT_S}s",
            "--max-attempts", "8"]


def faults(provider, **kw):
    c, b, _ = call("PUT", provider.base + "/faults", kw)
    assert c in (200, 204), (c, b)


def truth(provider, oid):
    c, b, _ = call("GET", f"{provider.base}/recharge/{oid}")
    assert c == 200, (c, b)
    return b["status"]


class RechargeOverHttpProvider(unittest.TestCase):
    def setUp(self):
        self.env = Env()
        self.ok = False

    def tearDown(self):
        self.env.close(keep=not self.ok)

    def create_many(self, base, n, prefix):
        def one(i):
            c, r, _ = call("POST", base + "/v1/recharges", {"account": f"{prefix}{i:05d}", "amount": 100 + i},
                           {"Idempotency-Key": f"{prefix}-{i}"})
            self.assertEqual(c, 202, r)
            return r["id"], time.time()
        with ThreadPoolExecutor(16) as ex:
            return list(ex.map(one, range(n)))

    def assert_agrees_with_provider(self, base, provider, ids):
        faults(provider, fail_rate=0, timeout_rate=0, latency="0ms")
        for oid in ids:
            c, o, _ = call("GET", f"{base}/v1/recharges/{oid}")
            self.assertEqual(c, 200)
            credited = truth(provider, oid) == "success"
            late_ok = o["late_result"] is not None and o["late_result"]["status"] == "success"
            if credited:
                self.assertTrue(o["status"] == "succeeded" or (o["status"] == "timed_out"),
                                f"provider credited {oid} but engine says {o['status']}")
            if o["status"] == "succeeded":
                self.assertTrue(credited, f"engine says {oid} succeeded, provider has no credit")
            if late_ok:
                self.assertTrue(credited)
            self.assertLessEqual(len(o["attempts"]), 8)

    def test_faults_every_order_terminal_by_deadline_and_agrees(self):
        prov = self.env.provider_sim("--sim-latency", "5ms", "--sim-fail-rate", "0.2", "--sim-timeout-rate", "0.1",
                                     "--sim-seed", "7")
        srv = self.env.serve(*serve_flags(prov))
        created = self.create_many(srv.base, 120, "138")
        ids = [i for i, _ in created]
        deadline = max(t for _, t in created) + RESULT_S + 3
        for oid, t in created:
            remaining = max(0.0, deadline - time.time())
            c, o, _ = call("GET", f"{srv.base}/v1/recharges/{oid}?wait={int(remaining) + 1}")
            self.assertIn(o["status"], ("succeeded", "failed", "timed_out"), f"{oid} not terminal by its deadline: {o}")
        # Unknown outcomes keep being settled after the deadline; give them a moment with faults off.
        faults(prov, fail_rate=0, timeout_rate=0)
        def settled():
            for oid in ids:
                o = call("GET", f"{srv.base}/v1/recharges/{oid}")[1]
                if o["status"] == "timed_out" and truth(prov, oid) == "success" and o["late_result"] is None:
                    return False
            return True
        wait_until(settled, 30, interval=0.5, what="late results of credited timed-out orders")
        self.assert_agrees_with_provider(srv.base, prov, ids)
        statuses = [call("GET", f"{srv.base}/v1/recharges/{oid}")[1]["status"] for oid in ids]
        self.assertGreater(statuses.count("succeeded"), 60, statuses)
        self.ok = True

    def test_provider_outage_is_ridden_out(self):
        prov = self.env.provider_sim("--sim-latency", "5ms")
        srv = self.env.serve(*serve_flags(prov))
        faults(prov, fail_rate=1.0)
        ids = [i for i, _ in self.create_many(srv.base, 20, "139")]
        time.sleep(2.0)
        faults(prov, fail_rate=0.0)
        for oid in ids:
            c, o, _ = call("GET", f"{srv.base}/v1/recharges/{oid}?wait={RESULT_S + 2}")
            self.assertEqual(o["status"], "succeeded", o)
            self.assertGreater(len(o["attempts"]), 1, "the outage should have cost at least one attempt")
            self.assertTrue(any(a["outcome"] == "error" for a in o["attempts"]))
        self.assert_agrees_with_provider(srv.base, prov, ids)
        self.ok = True

    def test_timed_out_order_records_late_result(self):
        prov = self.env.provider_sim("--sim-latency", "5ms")
        srv = self.env.serve(*serve_flags(prov))
        faults(prov, timeout_rate=1.0)
        c, r, _ = call("POST", srv.base + "/v1/recharges", {"account": "13700000000", "amount": 300})
        oid = r["id"]
        c, o, _ = call("GET", f"{srv.base}/v1/recharges/{oid}?wait={RESULT_S + 3}")
        self.assertEqual(o["status"], "timed_out", o)
        self.assertTrue(o["attempts"][0]["outcome"] == "timeout")
        att = call("GET", srv.base + "/v1/attention")[1]["items"]
        self.assertTrue(any(a["order_id"] == oid and a["kind"] == "recharge_timed_out" for a in att), att)
        faults(prov, timeout_rate=0.0)
        o = wait_until(lambda: (lambda x: x if x["late_result"] else None)(call("GET", f"{srv.base}/v1/recharges/{oid}")[1]),
                       30, interval=0.3, what="late_result")
        self.assertEqual(o["status"], "timed_out", "a terminal status never changes")
        self.assertEqual(o["late_result"]["status"], "success")
        self.assertEqual(truth(prov, oid), "success")
        att = call("GET", srv.base + "/v1/attention")[1]["items"]
        self.assertTrue(any(a["order_id"] == oid and a["kind"] == "late_result" for a in att), att)
        self.ok = True

    def test_kill9_restart_loses_nothing(self):
        prov = self.env.provider_sim("--sim-latency", "200ms", "--sim-fail-rate", "0.2")
        flags = serve_flags(prov)
        srv = self.env.serve(*flags)
        ids = [i for i, _ in self.create_many(srv.base, 40, "136")]
        time.sleep(0.3)  # some attempts in flight
        srv.kill9()
        srv2 = self.env.serve(*flags, name="orderd2")
        for oid in ids:
            c, o, _ = call("GET", f"{srv2.base}/v1/recharges/{oid}?wait={RESULT_S + 3}")
            self.assertEqual(c, 200, f"acknowledged order {oid} lost after kill -9")
            self.assertIn(o["status"], ("succeeded", "failed", "timed_out"), o)
        faults(prov, fail_rate=0)
        self.assert_agrees_with_provider(srv2.base, prov, ids)
        self.assertEqual(srv2.term(), 0)
        self.ok = True


if __name__ == "__main__":
    unittest.main(verbosity=2)

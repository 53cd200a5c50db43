"""A full LMDB map: requests get 503 + Retry-After (problem+json), nothing
acknowledged is damaged, and a restart with a bigger map works again."""
import os, subprocess, sys, unittest
sys.path.insert(0, os.path.dirname(__file__))
from harness import EXE, Env, call, post_until_refused


class MapFull(unittest.TestCase):
    def test_full_map_answers_503_then_recovers(self):
        env = Env()
        ok = False
        try:
            srv = env.serve("--map-size", "1MiB", "--sim-latency", "0ms")
            accepted, full = post_until_refused(
                srv.base, lambda i: {"account": "13" + "7" * 100 + str(i), "amount": 5}, 20000)
            self.assertIsNotNone(full, "a 1 MiB map never filled up")
            c, b, h = full
            self.assertEqual(c, 503, b)
            self.assertIn("problem+json", h["Content-Type"])
            self.assertTrue(h.get("Retry-After"))
            self.assertGreater(len(accepted), 10)
            self.assertEqual(call("GET", srv.base + "/healthz")[0], 200, "the process must survive a full map")
            for oid in accepted[-20:]:
                self.assertEqual(call("GET", f"{srv.base}/v1/recharges/{oid}")[0], 200)
            self.assertEqual(srv.term(), 0)
            data = os.path.join(env.tmp, "data")
            r = subprocess.run([EXE, "check", "--data", data], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            srv2 = env.serve("--map-size", "64MiB", "--sim-latency", "0ms", name="orderd2")
            for oid in accepted:
                self.assertEqual(call("GET", f"{srv2.base}/v1/recharges/{oid}")[0], 200, f"{oid} lost")
            c, b, _ = call("POST", srv2.base + "/v1/recharges", {"account": "13800000000", "amount": 5})
            self.assertEqual(c, 202, b)
            ok = True
        finally:
            env.close(keep=not ok)


if __name__ == "__main__":
    unittest.main(verbosity=2)

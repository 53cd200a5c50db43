"""A nearly full filesystem (a tmpfs of our own): requests get 503 +
Retry-After, /readyz says not ready, the process survives, nothing
acknowledged is damaged, and service resumes — in the same process — when
space returns. Needs root to mount the tmpfs (make test runs as root; the CI
machine is a VM where we are root)."""
import os, subprocess, sys, unittest
sys.path.insert(0, os.path.dirname(__file__))
from harness import EXE, Env, call, post_until_refused, wait_until


class DiskFull(unittest.TestCase):
    def setUp(self):
        self.env = Env()
        self.ok = False
        self.mnt = os.path.join(self.env.tmp, "disk")
        os.makedirs(self.mnt)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", self.mnt], capture_output=True, text=True)
        if r.returncode != 0 and os.geteuid() != 0 or "permission denied" in r.stderr.lower():
            self.env.close()
            self.skipTest(f"mounting a tmpfs is not permitted here: {r.stderr.strip()}")
        self.assertEqual(r.returncode, 0, f"cannot mount a tmpfs: {r.stderr}")

    def tearDown(self):
        for p in self.env.procs:
            p.kill9()
        subprocess.run(["umount", "-l", self.mnt])
        self.env.close(keep=not self.ok)

    def test_enospc_is_503_then_resumes_when_space_returns(self):
        data = os.path.join(self.mnt, "data")
        srv = self.env.serve("--data", data, "--map-size", "1GiB", "--sim-latency", "0ms", name="orderd")
        # fill the filesystem, leaving a little room for orderd
        filler = os.path.join(self.mnt, "filler")
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M", "count=15"], capture_output=True)
        accepted, full = post_until_refused(srv.base, lambda i: {
            "account": "13" + "8" * 100 + str(i), "amount": 7, "notify_url": "http://127.0.0.1:9/" + "x" * 1500}, 50000)
        self.assertIsNotNone(full, "the filesystem never filled up")
        c, b, h = full
        self.assertEqual(c, 503, b)
        self.assertIn("problem+json", h["Content-Type"])
        self.assertTrue(h.get("Retry-After"))
        self.assertEqual(call("GET", srv.base + "/readyz")[0], 503)
        self.assertEqual(call("GET", srv.base + "/healthz")[0], 200, "the process must survive a full disk")
        for oid in accepted[-20:]:
            self.assertEqual(call("GET", f"{srv.base}/v1/recharges/{oid}")[0], 200)
        # space returns: the same process accepts again and becomes ready
        os.remove(filler)

        def accepts():
            c, b, _ = call("POST", srv.base + "/v1/recharges", {"account": "13800000001", "amount": 7})
            return b["id"] if c == 202 else None
        accepted.append(wait_until(accepts, 20, interval=0.2, what="a 202 after space returned"))
        wait_until(lambda: call("GET", srv.base + "/readyz")[0] == 200, 10, what="/readyz 200 again")
        for oid in accepted:
            self.assertEqual(call("GET", f"{srv.base}/v1/recharges/{oid}")[0], 200, f"{oid} lost")
        self.assertEqual(srv.term(), 0)
        r = subprocess.run([EXE, "check", "--data", data], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.ok = True


if __name__ == "__main__":
    unittest.main()

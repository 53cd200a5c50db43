"""Security basics: admin endpoints need the token when one is set; the
server binds to loopback by default; request limits (headers, body) hold;
the notify and webhook secrets never reach the log, even at debug level."""
import hashlib, hmac, json, os, socket, subprocess, sys, time, unittest
sys.path.insert(0, os.path.dirname(__file__))
from harness import EXE, Env, call, wait_until

SECRET = "s3cr3t-notify-value-never-logged"
WEBHOOK = "w3bh00k-secret-never-logged"
ADMIN = "admin-token-for-the-test"


def sign(body, secret=SECRET, t=None):
    t = int(time.time()) if t is None else t
    return f"t={t},v1=" + hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


class Security(unittest.TestCase):
    def setUp(self):
        self.env = Env()
        self.ok = False
        self.srv = self.env.serve("--notify-secret", SECRET, "--webhook-secret", WEBHOOK, "--admin-token", ADMIN,
                                  "--log-level", "debug", "--sim-latency", "1ms", "--webhook-attempts", "1")

    def tearDown(self):
        self.env.close(keep=not self.ok)

    def test_admin_token_limits_and_no_secret_in_logs(self):
        base = self.srv.base
        auth = {"Authorization": "Bearer " + ADMIN}
        # admin endpoints: SKU PUT and dead-letter actions
        self.assertEqual(call("PUT", base + "/v1/skus/s1", {"stock": 5, "price": 100})[0], 401)
        self.assertEqual(call("PUT", base + "/v1/skus/s1", {"stock": 5, "price": 100},
                              {"Authorization": "Bearer wrong"})[0], 401)
        self.assertEqual(call("PUT", base + "/v1/skus/s1", {"stock": 5, "price": 100}, auth)[0], 200)
        rc = call("POST", base + "/v1/recharges", {"account": "13800000000", "amount": 5,
                                                    "notify_url": "http://127.0.0.1:9/hook"})[1]
        dead = wait_until(lambda: call("GET", base + "/v1/dead-letters")[1]["items"], 20, what="a dead letter")
        did = dead[0]["id"]
        self.assertEqual(call("POST", f"{base}/v1/dead-letters/{did}/replay")[0], 401)
        self.assertEqual(call("DELETE", f"{base}/v1/dead-letters/{did}")[0], 401)
        self.assertEqual(len(call("GET", base + "/v1/dead-letters")[1]["items"]), 1, "a refused action changed nothing")
        self.assertEqual(call("DELETE", f"{base}/v1/dead-letters/{did}", headers=auth)[0], 200)
        # limits: body over 64 KiB → 413, headers over 16 KiB → 431
        c, p, _ = call("POST", base + "/v1/recharges", b'{"account":"' + b"1" * 70000 + b'","amount":5}')
        self.assertEqual(c, 413, p)
        c, _, _ = call("GET", base + "/healthz", headers={"X-Big": "y" * 20000})
        self.assertEqual(c, 431)
        # notifies, good and bad, and a signed webhook attempt: the secrets stay out of the log
        o = call("POST", base + "/v1/orders", {"user": "sec", "items": [{"sku": "s1", "qty": 1}]})[1]
        raw = json.dumps({"order_id": o["id"], "payment_id": "p-sec", "amount": 100, "status": "SUCCESS"}).encode()
        self.assertEqual(call("POST", base + "/v1/payments/notify", raw, {"Orderd-Signature": sign(raw, "bad")})[0], 401)
        self.assertEqual(call("POST", base + "/v1/payments/notify", raw, {"Orderd-Signature": sign(raw)})[0], 200)
        call("POST", f"{base}/v1/sim/pay/{o['id']}", {})
        wait_until(lambda: call("GET", f"{base}/v1/orders/{o['id']}")[1]["status"] == "completed", 10)
        self.assertEqual(self.srv.term(), 0)
        log = self.srv.log()
        self.assertIn("listening", log)
        for secret in (SECRET, WEBHOOK, ADMIN):
            self.assertNotIn(secret, log)
        self.ok = True

    def test_default_listen_is_loopback(self):
        r = subprocess.run([EXE, "serve", "--help"], capture_output=True, text=True)
        line = next(l for l in (r.stdout + r.stderr).splitlines() if "--listen" in l)
        self.assertIn("127.0.0.1:8080", line)
        self.ok = True


if __name__ == "__main__":
    unittest.main()

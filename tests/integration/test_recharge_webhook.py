"""notify_url callbacks: the terminal order is POSTed, signed with
--webhook-secret (Orderd-Signature: t=…,v1=HMAC-SHA256(secret, t.body)), and
retried with back-off when the receiver fails."""
import hashlib, hmac, json, os, sys, threading, time, unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
sys.path.insert(0, os.path.dirname(__file__))
from harness import Env, call, wait_until

SECRET = "hook-secret"


class Receiver:
    def __init__(self, fail_first=0):
        self.calls, self.fail_first = [], fail_first
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.calls.append((self.path, self.headers.get("Orderd-Signature", ""), body, time.time()))
                code = 500 if len(outer.calls) <= outer.fail_first else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}/hooks/recharge"
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()


def verify(header, body, secret):
    parts = dict(p.split("=", 1) for p in header.split(","))
    t = parts["t"]
    mac = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, parts["v1"]) and abs(time.time() - int(t)) < 300


class Webhook(unittest.TestCase):
    def setUp(self):
        self.env = Env()
        self.srv = self.env.serve("--sim-latency", "5ms", "--webhook-secret", SECRET)

    def tearDown(self):
        self.env.close()

    def test_signed_callback_after_terminal(self):
        rcv = Receiver()
        try:
            c, r, _ = call("POST", self.srv.base + "/v1/recharges",
                           {"account": "13800000000", "amount": 1000, "notify_url": rcv.url})
            self.assertEqual(c, 202)
            wait_until(lambda: rcv.calls, 10, what="the notify_url callback")
            path, sig, body, _ = rcv.calls[0]
            self.assertEqual(path, "/hooks/recharge")
            self.assertTrue(verify(sig, body, SECRET), sig)
            self.assertFalse(verify(sig, body, "other-secret"))
            order = json.loads(body)
            self.assertEqual(order["id"], r["id"])
            self.assertEqual(order["status"], "succeeded")
        finally:
            rcv.close()

    def test_failed_delivery_is_retried_with_backoff(self):
        rcv = Receiver(fail_first=2)
        try:
            call("POST", self.srv.base + "/v1/recharges", {"account": "13800000001", "amount": 5, "notify_url": rcv.url})
            wait_until(lambda: len(rcv.calls) >= 3, 20, what="three deliveries (two failed)")
            t = [c[3] for c in rcv.calls]
            self.assertGreater(t[1] - t[0], 0.6, "first retry should wait about a second")
            self.assertGreater(t[2] - t[1], 1.2, "second retry should wait about two seconds")
            time.sleep(1.5)
            self.assertEqual(len(rcv.calls), 3, "delivered once it succeeded; no more calls")
        finally:
            rcv.close()

    def test_notify_url_must_be_http(self):
        c, p, _ = call("POST", self.srv.base + "/v1/recharges", {"account": "1", "amount": 5, "notify_url": "ftp://x"})
        self.assertEqual(c, 422)
        self.assertIn("notify_url", json.dumps(p))


if __name__ == "__main__":
    unittest.main(verbosity=2)

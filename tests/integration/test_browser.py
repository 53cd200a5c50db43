"""The status page in headless Chromium (driven over the DevTools protocol)
against a real orderd: the counts change after orders are created, an order
looked up shows its timeline, a dead letter is replayed with its button (the
page asks for the admin token on the 401 and keeps it for the session) and
leaves the list, another is deleted without asking again, and a screenshot is
saved. Fails (never skips) when
Chromium is missing: `make test` installs it."""
import http.server, os, sys, threading, unittest
sys.path.insert(0, os.path.dirname(__file__))
from harness import Env, call, free_port, wait_until
from cdp import Browser

SHOT = os.environ.get("ORDERD_SCREENSHOT", "")
TOKEN = "page-admin-token"
ADMIN = {"Authorization": "Bearer " + TOKEN}


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *a):
        pass


class StatusPage(unittest.TestCase):
    def setUp(self):
        self.env = Env()
        self.ok = False
        self.srv = self.env.serve("--sim-latency", "1ms", "--webhook-attempts", "1", "--admin-token", TOKEN)
        self.browser = Browser()
        self.hook = None

    def tearDown(self):
        self.browser.close()
        if self.hook:
            self.hook.shutdown()
            self.hook.server_close()
        self.env.close(keep=not self.ok)

    def dead_ids(self):
        return self.browser.js("[...document.querySelectorAll('#dead li[data-dead]')].map(e => e.dataset.dead)")

    def cell(self, table, status):
        return self.browser.js(f"(document.querySelector('#{table} tr[data-status={status}] td.n')||{{}}).textContent")

    def test_counts_lookup_replay_screenshot(self):
        base, b = self.srv.base, self.browser
        b.open(base + "/")
        self.assertEqual(b.js("document.title"), "orderd — status")
        wait_until(lambda: self.cell("rc-states", "succeeded") == "0", 10, what="the page's first stats")

        ids = [call("POST", base + "/v1/recharges", {"account": f"1380000{i}", "amount": 100})[1]["id"] for i in range(5)]
        wait_until(lambda: self.cell("rc-states", "succeeded") == "5", 15, what="succeeded count 5 on the page")
        self.assertEqual(call("PUT", base + "/v1/skus/page", {"stock": 10, "price": 1500}, ADMIN)[0], 200)
        o = call("POST", base + "/v1/orders", {"user": "p", "items": [{"sku": "page", "qty": 2}]})[1]
        wait_until(lambda: self.cell("po-states", "pending_payment") == "1", 15, what="a pending purchase on the page")
        call("POST", f"{base}/v1/sim/pay/{o['id']}", {})
        wait_until(lambda: self.cell("po-states", "completed") == "1", 15, what="the purchase completed on the page")

        # look the purchase up: its timeline shows created → paid → completed
        b.js(f"document.getElementById('lookup-id').value = '{o['id']}'; document.getElementById('lookup').requestSubmit()")
        wait_until(lambda: b.js("(document.getElementById('lookup-status')||{}).textContent") == "completed", 10,
                   what="lookup shows the order")
        types = b.js("[...document.querySelectorAll('#timeline .type')].map(e => e.textContent)")
        for t in ("created", "payment", "paid", "completed"):
            self.assertIn(t, types)
        # and a recharge: its attempts
        b.js(f"document.getElementById('lookup-id').value = '{ids[0]}'; document.getElementById('lookup').requestSubmit()")
        wait_until(lambda: b.js("(document.getElementById('lookup-status')||{}).textContent") == "succeeded", 10)
        self.assertIn("attempt 1: success", b.js("[...document.querySelectorAll('#timeline .type')].map(e => e.textContent)"))

        # a dead letter: a notify_url nobody listens on, one delivery allowed
        port = free_port()
        rc = call("POST", base + "/v1/recharges", {"account": "13900000000", "amount": 100,
                                                   "notify_url": f"http://127.0.0.1:{port}/hook"})[1]
        dead = wait_until(lambda: self.dead_ids(), 20, what="the dead letter on the page")
        self.assertEqual(len(dead), 1)
        self.assertIn(rc["id"], b.js("document.getElementById('dead').textContent"))
        wait_until(lambda: b.js("document.getElementById('dead-count').textContent") == "1", 5,
                   what="the dead-letter count 1")
        # the receiver comes up; Replay gets a 401, the page asks for the token,
        # retries with it, the job is delivered and leaves the list
        self.hook = http.server.ThreadingHTTPServer(("127.0.0.1", port), Hook)
        threading.Thread(target=self.hook.serve_forever, daemon=True).start()
        b.js(f"document.querySelector('button.replay[data-id=\"{dead[0]}\"]').click()")
        dialog = b.answer_dialog(TOKEN)
        self.assertEqual(dialog["type"], "prompt")
        self.assertIn("Admin token", dialog["message"])
        wait_until(lambda: self.dead_ids() == [], 20, what="the replayed dead letter to leave the list")
        self.assertEqual(call("GET", base + "/v1/dead-letters")[1]["items"], [])
        self.assertEqual(b.js("sessionStorage.getItem('orderd-admin-token')"), TOKEN)

        # another dead letter, deleted with its button: the kept token is used, no second prompt
        rc2 = call("POST", base + "/v1/recharges", {"account": "13900000001", "amount": 100,
                                                    "notify_url": f"http://127.0.0.1:{free_port()}/hook"})[1]
        dead = wait_until(lambda: self.dead_ids(), 20, what="the second dead letter on the page")
        self.assertIn(rc2["id"], b.js("document.getElementById('dead').textContent"))
        b.js(f"document.querySelector('button.delete[data-id=\"{dead[0]}\"]').click()")
        wait_until(lambda: self.dead_ids() == [], 20, what="the deleted dead letter to leave the list")
        self.assertFalse(b.seen("Page.javascriptDialogOpening"), "asked for the token twice")
        self.assertEqual(call("GET", base + "/v1/dead-letters")[1]["items"], [])
        wait_until(lambda: b.js("document.getElementById('dead-count').textContent") == "0", 5,
                   what="the dead-letter count back to 0")
        # the webhook of the first was delivered by the replay; the second was dropped
        self.assertEqual(call("GET", f"{base}/v1/recharges/{rc2['id']}")[1]["status"], "succeeded")

        # the chart has drawn something: some non-background pixels in its plot area
        self.assertTrue(b.js("""(() => { const c = document.getElementById('chart');
            const d = c.getContext('2d').getImageData(c.width / 2, 0, c.width / 2, c.height).data;
            for (let i = 0; i < d.length; i += 4) if (d[i + 2] > 200 && d[i] < 120) return true;  // the blue line
            return false; })()"""))

        path = SHOT or os.path.join(self.env.tmp, "status.png")
        b.screenshot(path)
        with open(path, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertGreater(os.path.getsize(path), 10_000)
        print("screenshot:", path)
        self.ok = True


if __name__ == "__main__":
    unittest.main()

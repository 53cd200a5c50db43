"""`orderd serve --log-format json`: every line the process writes is one JSON
object with time, level and msg, and a line about an order carries its id in
"order_id" (here: a webhook that becomes a dead letter)."""
import json, os, sys, unittest
sys.path.insert(0, os.path.dirname(__file__))
from harness import Env, call, free_port, wait_until


class JsonLog(unittest.TestCase):
    def setUp(self):
        self.env = Env()
        self.ok = False
        self.srv = self.env.serve("--sim-latency", "1ms", "--log-format", "json", "--webhook-attempts", "1")

    def tearDown(self):
        self.env.close(keep=not self.ok)

    def lines(self):
        return [json.loads(line) for line in self.srv.log().splitlines() if line.strip()]

    def test_one_object_per_line_with_order_id(self):
        base = self.srv.base
        rc = call("POST", base + "/v1/recharges", {"account": "13800000000", "amount": 100,
                                                   "notify_url": f"http://127.0.0.1:{free_port()}/hook"})[1]
        about = wait_until(lambda: [l for l in self.lines() if l.get("order_id") == rc["id"]], 20,
                           what="a log line about the order")
        self.assertEqual(about[0]["level"], "warning")
        self.assertIn("dead-lettered", about[0]["msg"])
        self.assertEqual(self.srv.term(), 0)
        lines = self.lines()  # raises if any line is not JSON
        self.assertGreaterEqual(len(lines), 3)
        for line in lines:
            self.assertTrue({"time", "level", "msg"} <= line.keys(), line)
            self.assertRegex(line["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertTrue(any("listening on" in l["msg"] and "order_id" not in l for l in lines))
        self.ok = True


if __name__ == "__main__":
    unittest.main()

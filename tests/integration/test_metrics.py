"""GET /metrics after a known sequence of orders: the exposition parses as
Prometheus text (every sample belongs to a declared family of a known type,
histogram buckets are cumulative and end in +Inf = _count) and the counters
have the expected values."""
import os, re, sys, unittest
sys.path.insert(0, os.path.dirname(__file__))
from harness import Env, call, wait_until

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.e+-]+|\+Inf|NaN)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """Returns {(name, frozenset(labels)): value} and {family: type}; raises on any malformed line."""
    types, samples = {}, {}
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            types[name] = kind
            continue
        if line.startswith("#"):
            assert line.startswith("# HELP "), line
            continue
        m = SAMPLE.match(line)
        assert m, f"malformed sample line: {line!r}"
        name, labels = m.group(1), frozenset(LABEL.findall(m.group(3) or ""))
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        assert family in types, f"sample {name} has no # TYPE"
        samples[(name, labels)] = float(m.group(4))
    return samples, types


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


class Metrics(unittest.TestCase):
    def setUp(self):
        self.env = Env()
        self.ok = False
        self.srv = self.env.serve("--sim-latency", "1ms")

    def tearDown(self):
        self.env.close(keep=not self.ok)

    def test_counters_after_known_orders(self):
        base = self.srv.base
        ids = [call("POST", base + "/v1/recharges", {"account": f"1380000{i}", "amount": 100})[1]["id"] for i in range(3)]
        ids.append(call("POST", base + "/v1/recharges", {"account": "invalid-x", "amount": 100})[1]["id"])
        for oid in ids:
            wait_until(lambda: call("GET", f"{base}/v1/recharges/{oid}")[1]["status"] in ("succeeded", "failed"), 10)
        self.assertEqual(call("POST", base + "/v1/recharges", {"account": "x", "amount": -1})[0], 422)
        call("PUT", base + "/v1/skus/m1", {"stock": 5, "price": 300})
        o = call("POST", base + "/v1/orders", {"user": "m", "items": [{"sku": "m1", "qty": 2}]})[1]
        call("POST", base + "/v1/orders", {"user": "m", "items": [{"sku": "m1", "qty": 1}]})
        call("POST", f"{base}/v1/sim/pay/{o['id']}", {})
        wait_until(lambda: call("GET", f"{base}/v1/orders/{o['id']}")[1]["status"] == "completed", 10)

        c, text, h = call("GET", base + "/metrics")
        self.assertEqual(c, 200)
        self.assertTrue(h["Content-Type"].startswith("text/plain"), h["Content-Type"])
        s, types = parse(text)
        self.assertEqual(types["orderd_orders_created_total"], "counter")
        self.assertEqual(types["orderd_http_request_duration_seconds"], "histogram")
        self.assertEqual(value(s, "orderd_orders_created_total", kind="recharge"), 4)
        self.assertEqual(value(s, "orderd_orders_created_total", kind="purchase"), 2)
        self.assertEqual(value(s, "orderd_orders_finished_total", kind="recharge", status="succeeded"), 3)
        self.assertEqual(value(s, "orderd_orders_finished_total", kind="recharge", status="failed"), 1)
        self.assertEqual(value(s, "orderd_orders_finished_total", kind="purchase", status="completed"), 1)
        self.assertEqual(value(s, "orderd_orders", kind="purchase", status="pending_payment"), 1)
        self.assertEqual(value(s, "orderd_payments_total"), 1)
        self.assertEqual(value(s, "orderd_http_requests_total", method="POST", route="/v1/recharges", code="202"), 4)
        self.assertEqual(value(s, "orderd_http_requests_total", method="POST", route="/v1/recharges", code="422"), 1)
        self.assertEqual(value(s, "orderd_http_requests_total", method="POST", route="/v1/orders", code="201"), 2)
        self.assertEqual(value(s, "orderd_provider_calls_total", op="recharge", outcome="ok"), 4)
        self.assertEqual(value(s, "orderd_timers_pending_by_kind", kind="po_unpaid"), 1)
        self.assertGreater(value(s, "orderd_commit_duration_seconds_count"), 5)
        self.assertGreater(value(s, "orderd_lmdb_map_size_bytes"), 0)
        # no ids in labels
        self.assertNotRegex(text, r'(rc|po)_[0-9a-f]{16}')
        # histograms: cumulative buckets ending in +Inf == _count
        buckets = sorted((float(dict(l)["le"]), v) for (n, l), v in s.items()
                         if n == "orderd_commit_duration_seconds_bucket")
        self.assertEqual(buckets[-1][0], float("inf"))
        self.assertEqual([v for _, v in buckets], sorted(v for _, v in buckets))
        self.assertEqual(buckets[-1][1], value(s, "orderd_commit_duration_seconds_count"))
        self.ok = True

    def test_stats_by_status_follows_changes_and_survives_kill9(self):
        # /v1/stats counts orders per status in memory (src/orders/status_counts.h):
        # loaded from the status index at start, moved by each committed change.
        # They must agree with the lists, also after a kill -9 and a restart.
        base = self.srv.base

        def by_status():
            st = call("GET", base + "/v1/stats")[1]
            return st["recharges"]["by_status"], st["purchases"]["by_status"]

        def listed(path, status):
            c, body, _ = call("GET", f"{base}{path}?status={status}&limit=100")
            self.assertEqual(c, 200)
            return len(body["items"])

        def check_against_lists():
            rc, po = by_status()
            for status, n in rc.items():
                self.assertEqual(n, listed("/v1/recharges", status), status)
            for status, n in po.items():
                self.assertEqual(n, listed("/v1/orders", status), status)
            return rc, po

        ids = [call("POST", base + "/v1/recharges", {"account": f"1390000{i}", "amount": 100})[1]["id"] for i in range(4)]
        ids.append(call("POST", base + "/v1/recharges", {"account": "invalid-y", "amount": 100})[1]["id"])
        for oid in ids:
            wait_until(lambda: call("GET", f"{base}/v1/recharges/{oid}")[1]["status"] in ("succeeded", "failed"), 10)
        call("PUT", base + "/v1/skus/s1", {"stock": 10, "price": 200})
        paid = call("POST", base + "/v1/orders", {"user": "u", "items": [{"sku": "s1", "qty": 1}]})[1]
        unpaid = call("POST", base + "/v1/orders", {"user": "u", "items": [{"sku": "s1", "qty": 1}]})[1]
        call("POST", base + "/v1/orders", {"user": "u", "items": [{"sku": "s1", "qty": 1}]})
        call("POST", f"{base}/v1/sim/pay/{paid['id']}", {})
        wait_until(lambda: call("GET", f"{base}/v1/orders/{paid['id']}")[1]["status"] == "completed", 10)
        self.assertEqual(call("POST", f"{base}/v1/orders/{unpaid['id']}/cancel")[0], 202)
        wait_until(lambda: call("GET", f"{base}/v1/orders/{unpaid['id']}")[1]["status"] == "closed", 10)

        rc, po = check_against_lists()
        self.assertEqual((rc["succeeded"], rc["failed"], rc["queued"], rc["processing"]), (4, 1, 0, 0))
        self.assertEqual((po["completed"], po["closed"], po["pending_payment"]), (1, 1, 1))

        self.srv.kill9()
        self.srv.start()
        self.assertEqual(by_status(), (rc, po))  # rebuilt from the index, not from counters since start
        oid = call("POST", base + "/v1/recharges", {"account": "13900009", "amount": 100})[1]["id"]
        wait_until(lambda: call("GET", f"{base}/v1/recharges/{oid}")[1]["status"] == "succeeded", 10)
        self.assertEqual(check_against_lists()[0]["succeeded"], 5)
        self.ok = True


if __name__ == "__main__":
    unittest.main()

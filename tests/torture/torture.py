"""kill -9 torture: real `orderd serve` processes under concurrent load of
both order kinds, killed with SIGKILL at random moments and restarted on the
same data, against `orderd provider-sim` (the ground truth) with faults on.

Afterwards (faults off, everything settled):
  - every order that got a 2xx is present and terminal (recharges:
    succeeded/failed/timed_out; purchases: completed/closed/refunded), so
    every deadline, unpaid and re-check timer set before a crash fired;
  - no account is credited twice, and the engine agrees with the provider:
    a succeeded recharge was credited, a credited one is succeeded or carries
    a late success;
  - each purchase's paid/refunded equal the provider's payment/refunds;
  - every SKU keeps available + reserved + sold = stock, nothing reserved;
  - /v1/reconciliation: outstanding 0, no violations; `orderd check` exits 0.

usage: torture.py [--cycles N] [--seed S] [--keep]     (ORDERD_EXE names the binary)
Prints the counts and exits non-zero on any violation; a failing run prints
its seed, and the same seed replays the same schedule of loads and kills
(process timing still varies)."""
import argparse, json, os, random, subprocess, sys, threading, time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import EXE, Env, Proc, call, wait_until

SECRET = "torture-secret"
SKUS = {"T1": (400, 1200), "T2": (300, 2500), "T3": (200, 990)}
TERMINAL_RC = {"succeeded", "failed", "timed_out"}
TERMINAL_PO = {"completed", "closed", "refunded"}


class Load:
    """Client threads creating, paying and refunding while the server lives."""

    def __init__(self, rnd, srv, prov):
        self.rnd, self.srv, self.prov = rnd, srv, prov
        self.lock = threading.Lock()
        self.recharges, self.purchases, self.refunds_asked = {}, {}, set()
        self.stop = threading.Event()
        self.n = 0

    def next_n(self):
        with self.lock:
            self.n += 1
            return self.n

    def client(self, seed):
        rnd = random.Random(seed)
        while not self.stop.is_set():
            try:
                self.one(rnd)
            except OSError:
                time.sleep(0.05)  # the server is down: try again after the restart

    def one(self, rnd):
        base = self.srv.base
        i = self.next_n()
        roll = rnd.random()
        if roll < 0.45:
            acct = ("invalid" if rnd.random() < 0.05 else "acct") + f"-{i}"
            c, r, _ = call("POST", base + "/v1/recharges", {"account": acct, "amount": 100 + i % 900},
                           {"Idempotency-Key": f"rc-{i}"}, timeout=5)
            if c == 202:
                with self.lock:
                    self.recharges[r["id"]] = acct
        elif roll < 0.8:
            sku = rnd.choice(sorted(SKUS))
            c, o, _ = call("POST", base + "/v1/orders", {"user": f"u{i % 13}", "items": [{"sku": sku, "qty": 1 + i % 2}]},
                           {"Idempotency-Key": f"po-{i}"}, timeout=5)
            if c == 201:
                with self.lock:
                    self.purchases[o["id"]] = o["amount"]
        else:
            with self.lock:
                if not self.purchases:
                    return
                oid, amount = rnd.choice(list(self.purchases.items()))
            if rnd.random() < 0.7:
                call("POST", f"{self.prov.base}/pay/{oid}", {"amount": amount, "even_if_closed": rnd.random() < 0.2},
                     timeout=5)
            else:
                c, _, _ = call("POST", f"{base}/v1/orders/{oid}/refund", timeout=5)
                if c == 202:
                    with self.lock:
                        self.refunds_asked.add(oid)


def run(cycles, seed, keep=False):
    rnd = random.Random(seed)
    env = Env()
    ok = False
    data = os.path.join(env.tmp, "data")
    srv = Proc(["serve", "--data", data, "--notify-secret", SECRET, "--unpaid-timeout", "2s", "--result-timeout", "5s",
                "--attempt-timeout", "1s", "--refund-recheck", "300ms", "--scan-interval", "1s", "--log-level", "warn"],
               env.tmp, "orderd")
    prov = Proc(["provider-sim", "--sim-latency", "3ms", "--notify-secret", SECRET, "--sim-seed", str(seed),
                 "--notify-url", f"http://127.0.0.1:{srv.port}/v1/payments/notify"], env.tmp, "provider")
    srv.args += ["--provider", prov.base]
    env.procs += [srv, prov]
    t0 = time.time()
    try:
        prov.start()
        srv.start()
        for sku, (stock, price) in SKUS.items():
            assert call("PUT", f"{srv.base}/v1/skus/{sku}", {"stock": stock, "price": price})[0] == 200
        call("PUT", prov.base + "/faults", {"fail_rate": 0.1, "timeout_rate": 0.05, "latency": "3ms"})
        load = Load(rnd, srv, prov)
        threads = [threading.Thread(target=load.client, args=(rnd.random(),), daemon=True) for _ in range(8)]
        for t in threads:
            t.start()
        for cycle in range(cycles):
            time.sleep(rnd.uniform(0.3, 1.5))
            srv.kill9()
            time.sleep(rnd.uniform(0.0, 0.3))
            srv.start(timeout=30)
        time.sleep(1.0)
        load.stop.set()
        for t in threads:
            t.join(10)
        call("PUT", prov.base + "/faults", {"fail_rate": 0, "timeout_rate": 0, "latency": "0ms"})
        problems = verify(srv, prov, load, data)
        took = time.time() - t0
        print(f"torture seed={seed} cycles={cycles} recharges_acked={len(load.recharges)} "
              f"purchases_acked={len(load.purchases)} refunds_asked={len(load.refunds_asked)} "
              f"lost={sum(1 for p in problems if p.startswith('lost'))} violations={len(problems)} seconds={took:.0f}")
        for p in problems[:30]:
            print("VIOLATION", p)
        ok = not problems
        return ok
    finally:
        env.close(keep=keep or not ok)
        if not ok:
            print(f"FAILED: replay with --seed {seed}")


def list_all(base, path):
    """Every item of a paged list endpoint, by id."""
    out, after = {}, ""
    while True:
        c, page, _ = call("GET", f"{base}{path}?limit=500" + (f"&after={after}" if after else ""), timeout=30)
        assert c == 200, (c, page)
        for item in page["items"]:
            out[item["id"]] = item
        if not page["next"]:
            return out
        after = page["next"]


def settled(srv, load, prov_base):
    all_rc, all_po = list_all(srv.base, "/v1/recharges"), list_all(srv.base, "/v1/orders")
    rc = {oid: all_rc.get(oid) for oid in load.recharges}
    po = {oid: all_po.get(oid) for oid in load.purchases}
    rec = call("GET", srv.base + "/v1/reconciliation", timeout=30)[1]
    busy = [o for o in rc.values() if not isinstance(o, dict) or o.get("status") not in TERMINAL_RC]
    busy += [o for o in po.values() if not isinstance(o, dict) or o.get("status") not in TERMINAL_PO]
    # a timed-out order whose attempt's outcome was unknown is still being asked about
    busy += [o for o in rc.values() if isinstance(o, dict) and o.get("status") == "timed_out" and not o.get("late_result")
             and call("GET", f"{prov_base}/truth/recharge/{o['id']}")[1].get("status") == "success"]
    return None if busy or rec["outstanding"] else (rc, po, rec)


def verify(srv, prov, load, data):
    problems = []
    try:
        rc, po, rec = wait_until(lambda: settled(srv, load, prov.base), 180, interval=1.0, what="every acknowledged order settled")
    except AssertionError as e:
        all_rc, all_po = list_all(srv.base, "/v1/recharges"), list_all(srv.base, "/v1/orders")
        rc = {oid: all_rc.get(oid) for oid in load.recharges}
        po = {oid: all_po.get(oid) for oid in load.purchases}
        for oid, o in list(rc.items()) + list(po.items()):
            if not isinstance(o, dict) or "status" not in o:
                problems.append(f"lost: {oid} acknowledged but answers {o}")
            elif o["status"] not in TERMINAL_RC | TERMINAL_PO:
                problems.append(f"unsettled: {oid} is {o['status']}")
            elif o["status"] == "timed_out" and not o.get("late_result") and \
                    call("GET", f"{prov.base}/truth/recharge/{oid}")[1].get("status") == "success":
                problems.append(f"credited but no late_result: {json.dumps(o)}")
        rec = call("GET", srv.base + "/v1/reconciliation", timeout=30)[1]
        if rec["outstanding"] or rec["violations"]:
            problems.append(f"outstanding {rec['outstanding']}, violations {rec['violations'][:5]}")
        problems.append(str(e))
        return problems
    for oid, acct in load.recharges.items():
        o = rc[oid]
        bal = call("GET", f"{prov.base}/truth/accounts/{acct}")[1]
        credited = call("GET", f"{prov.base}/truth/recharge/{oid}")[1].get("status") == "success"
        amount = o["amount"]
        if isinstance(bal, dict) and bal.get("credited", 0) not in (0, amount):
            problems.append(f"double credit: {acct} has {bal} for one order of {amount}")
        late = o.get("late_result") or {}
        if o["status"] == "succeeded" and not credited:
            problems.append(f"{oid} succeeded but the provider never credited it")
        if credited and not (o["status"] == "succeeded" or late.get("status") == "success"):
            problems.append(f"{oid} credited at the provider but the engine says {o['status']} / {late}")
    for oid, o in po.items():
        t = call("GET", f"{prov.base}/truth/payments/{oid}")[1]
        want_paid = t["amount"] if t["status"] == "paid" else 0
        if (o["paid"], o["refunded"]) != (want_paid, t["refunded"]):
            problems.append(f"{oid} engine paid/refunded {o['paid']}/{o['refunded']} != provider {want_paid}/{t['refunded']}")
        if o["status"] in ("closed", "refunded") and o["paid"] != o["refunded"]:
            problems.append(f"{oid} {o['status']} with paid {o['paid']} != refunded {o['refunded']}")
        if oid in load.refunds_asked and o["status"] != "refunded":
            problems.append(f"{oid} refund accepted but status {o['status']}")
    for sku, (stock, _) in SKUS.items():
        s = call("GET", f"{srv.base}/v1/skus/{sku}")[1]
        if s["available"] + s["reserved"] + s["sold"] != stock or s["reserved"] != 0 or min(s["available"], s["sold"]) < 0:
            problems.append(f"sku {sku}: {s}")
    problems += [f"reconciliation: {v}" for v in rec["violations"]]
    if srv.term() != 0:
        problems.append("SIGTERM did not exit 0")
    r = subprocess.run([EXE, "check", "--data", data], capture_output=True, text=True)
    if r.returncode != 0:
        problems.append("orderd check: " + r.stdout[-2000:])
    return problems


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--cycles", type=int, default=int(os.environ.get("TORTURE_CYCLES", 40)))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("TORTURE_SEED", 0)) or random.randrange(1, 1 << 30))
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    sys.exit(0 if run(a.cycles, a.seed, a.keep) else 1)

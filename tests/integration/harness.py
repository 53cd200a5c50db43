"""Helpers for integration tests that run real orderd processes on loopback.

Every process is started in its own session and killed at the end; every wait
is bounded. ORDERD_EXE names the binary (ctest sets it)."""
import hashlib, hmac, json, os, shutil, signal, socket, subprocess, tempfile, time
import urllib.error, urllib.request

EXE = os.environ.get("ORDERD_EXE", os.path.join(os.path.dirname(__file__), "../../build/orderd"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method, url, body=None, headers=None, timeout=30):
    """Returns (status, parsed JSON or text, headers). Never raises on HTTP errors."""
    h = dict(headers or {})
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw, code, hdrs = r.read(), r.status, r.headers
    except urllib.error.HTTPError as e:
        raw, code, hdrs = e.read(), e.code, e.headers
    try:
        return code, json.loads(raw), hdrs
    except ValueError:
        return code, raw.decode("utf-8", "replace"), hdrs


def wait_until(pred, timeout, interval=0.05, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def post_until_refused(base, body_for, limit):
    """POSTs recharges body_for(i) until one is not 202. Returns (accepted ids, (code, body, headers) or None)."""
    accepted = []
    for i in range(limit):
        c, b, h = call("POST", base + "/v1/recharges", body_for(i))
        if c != 202:
            return accepted, (c, b, h)
        accepted.append(b["id"])
    return accepted, None


class Proc:
    """A running orderd subcommand on a free loopback port."""

    def __init__(self, args, tmp, name, health="/healthz"):
        self.args, self.tmp, self.name, self.health = args, tmp, name, health
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.p = None

    def start(self, timeout=15):
        log = open(os.path.join(self.tmp, self.name + ".log"), "a")
        self.p = subprocess.Popen([EXE, *self.args, "--listen", f"127.0.0.1:{self.port}"], stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        log.close()  # the child has its own copy

        def up():
            if self.p.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.p.returncode}: {self.log()[-2000:]}")
            try:
                return call("GET", self.base + self.health, timeout=1)[0] == 200
            except OSError:
                return False
        wait_until(up, timeout, what=f"{self.name} to answer {self.health}")
        return self

    def log(self):
        try:
            return open(os.path.join(self.tmp, self.name + ".log")).read()
        except OSError:
            return ""

    def kill9(self):
        if self.p and self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait()

    def term(self, timeout=15):
        if self.p and self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGTERM)
            try:
                return self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
                return -9
        return self.p.returncode if self.p else None


class Env:
    """A temp dir holding data dirs and logs; removed on close unless a test failed."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="orderd-it-")
        self.procs = []

    def serve(self, *flags, name="orderd", data="data"):
        p = Proc(["serve", "--data", os.path.join(self.tmp, data), *flags], self.tmp, name)
        self.procs.append(p)
        return p.start()

    def provider_sim(self, *flags, name="provider"):
        p = Proc(["provider-sim", *flags], self.tmp, name)
        self.procs.append(p)
        return p.start()

    def close(self, keep=False):
        for p in self.procs:
            p.kill9()
        if not keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            print("kept", self.tmp)

"""A minimal Chrome DevTools Protocol driver for headless Chromium, over
Debian's python3-websocket: start the browser, open a page, evaluate
JavaScript, answer dialogs (prompt/alert), take a screenshot. Every wait is
bounded."""
import base64, itertools, json, os, shutil, signal, subprocess, tempfile, time, urllib.request

try:
    import websocket  # Debian: python3-websocket
except ImportError:  # a python3 other than Debian's (e.g. pyenv): use Debian's package directly
    import sys
    sys.path.append("/usr/lib/python3/dist-packages")
    import websocket

from harness import free_port, wait_until

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class Browser:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="orderd-chromium-")
        self.port = free_port()
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", f"--user-data-dir={self.profile}", f"--remote-debugging-port={self.port}",
             "--window-size=1400,1100", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        targets = wait_until(self._page_targets, 30, interval=0.2, what="chromium's DevTools endpoint")
        self.ws = websocket.create_connection(targets[0]["webSocketDebuggerUrl"], timeout=30)
        self.ids = itertools.count(1)
        self.events = []  # events that arrived while waiting for an answer

    def _page_targets(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=1) as r:
                return [t for t in json.load(r) if t.get("type") == "page"]
        except OSError:
            return None

    def _recv(self, deadline):
        """One message from the browser, or None when the deadline passed."""
        remaining = deadline - time.time()
        if remaining <= 0:
            return None
        self.ws.settimeout(remaining)
        try:
            return json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            return None

    def send(self, method, **params):
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        end = time.time() + 30
        while (msg := self._recv(end)) is not None:
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)
        raise TimeoutError(method)

    def wait_event(self, method, timeout):
        """The params of the first event `method` seen since the last call (kept
        while waiting for answers too); raises after `timeout` seconds."""
        end = time.time() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev["method"] == method:
                    del self.events[: i + 1]
                    return ev.get("params", {})
            msg = self._recv(end)
            if msg is None:
                raise AssertionError(f"timed out after {timeout}s waiting for the browser event {method}")
            if "method" in msg:
                self.events.append(msg)

    def seen(self, method):
        """Whether an event `method` arrived and is still unconsumed."""
        return any(ev["method"] == method for ev in self.events)

    def open(self, url):
        self.send("Page.enable")
        self.send("Page.navigate", url=url)
        wait_until(lambda: self.js("document.readyState") == "complete", 20, what="page load")

    def js(self, expression):
        """Evaluates an expression in the page and returns its value (awaits promises)."""
        r = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r.get("result", {}).get("value")

    def answer_dialog(self, text, timeout=10):
        """Waits for a JavaScript dialog (prompt, alert, confirm), accepts it
        with `text` as a prompt's answer, and returns its params (type, message)."""
        params = self.wait_event("Page.javascriptDialogOpening", timeout)
        self.send("Page.handleJavaScriptDialog", accept=True, promptText=text)
        return params

    def screenshot(self, path, full_page=False):
        """A PNG of the viewport, or of the whole page when full_page."""
        params = {"format": "png"}
        if full_page:
            size = self.send("Page.getLayoutMetrics")["cssContentSize"]
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        data = self.send("Page.captureScreenshot", **params)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

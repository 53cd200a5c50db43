"""Makes the README's screenshot of the status page (docs/status.png): runs
orderd with the simulated provider under a varying load of recharges and
purchases for about two minutes (some failing, some unpaid and closed, a late
payment, a wrong amount, a dead letter), looks an order up, and saves the
page. Not a test (not named test_*); run by hand:

    ORDERD_EXE=build/orderd python3 tests/integration/status_screenshot.py docs/status.png
"""
import math, os, random, struct, sys, threading, time, zlib
sys.path.insert(0, os.path.dirname(__file__))
from harness import Env, call, free_port, wait_until
from cdp import Browser

LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "110"))


def recompress(path):
    """Rewrites an 8-bit RGB(A) PNG without row filters at zlib level 9: for a
    page of flat dark areas that is about 25% smaller than Chromium's own."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IHDR":
            ihdr = data[pos + 8:pos + 8 + n]
        elif kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + n]
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", ihdr)
    assert depth == 8 and ctype in (2, 6) and interlace == 0, "only 8-bit RGB(A), not interlaced"
    bpp = 4 if ctype == 6 else 3
    raw, stride, prev, out, i = zlib.decompress(idat), w * bpp, bytearray(w * bpp), bytearray(), 0
    for _ in range(h):  # undo each row's filter (PNG spec §9)
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride) if f else ():
            a, b, c = (line[x - bpp] if x >= bpp else 0), prev[x], (prev[x - bpp] if x >= bpp else 0)
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += b"\0" + line
        prev = line

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    png = data[:8] + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(out), 9)) + chunk(b"IEND", b"")
    if len(png) < len(data):
        open(path, "wb").write(png)


def load(base, stop, rng, made):
    """Recharges at 4–12/s and purchases at 1–3/s on a slow wave; most purchases are paid a moment later."""
    t0, pay_at = time.time(), []
    while not stop.is_set():
        t = time.time() - t0
        rc_rate, po_rate = 8 + 4 * math.sin(t / 9), 2 + math.sin(t / 13 + 1)
        for _ in range(rng.randint(0, round(rc_rate / 2))):
            account = "invalid-1" if rng.random() < 0.08 else f"1380{rng.randrange(10**7):07d}"
            call("POST", base + "/v1/recharges", {"account": account, "amount": rng.choice([500, 1000, 3000, 5000])})
        for _ in range(rng.randint(0, round(po_rate / 2))):
            sku = rng.choice(["tea", "mug", "book"])
            code, o, _ = call("POST", base + "/v1/orders", {"user": f"u{rng.randrange(50)}",
                                                            "items": [{"sku": sku, "qty": rng.randint(1, 3)}]})
            if code == 201:
                made.append(o["id"])
                if rng.random() < 0.75:
                    pay_at.append((time.time() + rng.uniform(1, 8), o["id"]))
        now = time.time()
        for due, oid in [p for p in pay_at if p[0] <= now]:
            call("POST", f"{base}/v1/sim/pay/{oid}", {})
        pay_at = [p for p in pay_at if p[0] > now]
        stop.wait(0.5)


def main(out):
    rng = random.Random(7)
    env = Env()
    browser = None
    try:
        srv = env.serve("--sim-latency", "400ms", "--sim-fail-rate", "0.05", "--unpaid-timeout", "40s",
                        "--webhook-attempts", "1", "--sim-seed", "7")
        base = srv.base
        for sku, price in (("tea", 1200), ("mug", 2500), ("book", 3900)):
            call("PUT", f"{base}/v1/skus/{sku}", {"stock": 100000, "price": price})
        browser = Browser()
        browser.send("Emulation.setDeviceMetricsOverride", width=1280, height=1000, deviceScaleFactor=1, mobile=False)
        browser.open(base + "/")
        stop, made = threading.Event(), []
        worker = threading.Thread(target=load, args=(base, stop, rng, made), daemon=True)
        worker.start()
        time.sleep(3)
        # a dead letter: a notify_url nobody listens on
        call("POST", base + "/v1/recharges", {"account": "13912345678", "amount": 2000,
                                              "notify_url": f"http://127.0.0.1:{free_port()}/hook"})
        # a wrong amount, and a payment after the order was closed (refunded)
        wrong = call("POST", base + "/v1/orders", {"user": "w", "items": [{"sku": "mug", "qty": 1}]})[1]
        call("POST", f"{base}/v1/sim/pay/{wrong['id']}", {"amount": 100})
        late = call("POST", base + "/v1/orders", {"user": "l", "items": [{"sku": "book", "qty": 1}]})[1]
        time.sleep(LOAD_SECONDS)
        stop.set()
        worker.join()
        wait_until(lambda: call("GET", f"{base}/v1/orders/{late['id']}")[1]["status"] == "closed", 60,
                   what="the unpaid order to close")
        call("POST", f"{base}/v1/sim/pay/{late['id']}", {"even_if_closed": True})
        wait_until(lambda: call("GET", f"{base}/v1/orders/{late['id']}")[1]["refunded"] > 0, 30,
                   what="the late payment to be refunded")  # the order stays closed
        # keep some load for the chart's last seconds
        stop.clear()
        worker = threading.Thread(target=load, args=(base, stop, rng, made), daemon=True)
        worker.start()
        time.sleep(6)
        browser.js(f"document.getElementById('lookup-id').value = '{late['id']}';"
                   "document.getElementById('lookup').requestSubmit()")
        wait_until(lambda: browser.js("(document.getElementById('lookup-status')||{}).textContent") == "closed",
                   10, what="the lookup")
        time.sleep(1.5)
        browser.screenshot(out, full_page=True)
        recompress(out)
        stop.set()
        worker.join()
        print(out, os.path.getsize(out), "bytes")
    finally:
        if browser:
            browser.close()
        env.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "status.png")

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Load a page in headless Chromium in real time and watch it, over the DevTools pipe.

    page_probe.py URL --seconds S --shot FILE [--width W --height H] [--profile DIR]

Chromium runs with --remote-debugging-pipe (DevTools protocol messages, NUL
terminated, on fds 3 and 4): no port, no websocket library. The page runs
on the wall clock (no virtual time), and once a second the probe reads
document.body.dataset; at the end it saves a PNG screenshot. Prints one JSON
object: {"readings": [dataset, ...], "shot": FILE, "bytes": N}.
"""
import argparse
import base64
import fcntl
import json
import os
import signal
import subprocess
import sys
import time

FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
         "--remote-debugging-pipe"]


class Pipe:
    """The DevTools protocol over Chromium's pipe: commands out on its fd 3, answers in from its fd 4."""

    def __init__(self, wfd, rfd):
        self.w, self.r, self.buf, self.next_id = wfd, rfd, b"", 0

    def call(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        while True:
            m = self.read()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})

    def read(self):
        while b"\0" not in self.buf:
            chunk = os.read(self.r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--shot", required=True)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=1000)
    ap.add_argument("--profile", default="/tmp/page-probe-profile")
    a = ap.parse_args()
    signal.alarm(int(a.seconds) + 40)

    # chromium reads commands from its fd 3 and writes answers to its fd 4; the
    # pipe ends are moved above 10 first, so putting them at 3 and 4 clobbers none
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_chrome_r, from_chrome_w)]

    def child_fds():
        os.dup2(high[0], 3)
        os.dup2(high[1], 4)

    p = subprocess.Popen(["chromium", *FLAGS, f"--user-data-dir={a.profile}", "about:blank"],
                         preexec_fn=child_fds, pass_fds=(3, 4),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for fd in high:
        os.close(fd)
    os.close(to_chrome_r)
    os.close(from_chrome_w)
    dt = Pipe(to_chrome_w, from_chrome_r)
    out = {"readings": []}
    try:
        target = dt.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = dt.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        dt.call("Page.enable", session=s)
        dt.call("Emulation.setDeviceMetricsOverride",
                {"width": a.width, "height": a.height, "deviceScaleFactor": 1, "mobile": False},
                session=s)
        dt.call("Page.navigate", {"url": a.url}, session=s)
        end = time.monotonic() + a.seconds
        while time.monotonic() < end:
            time.sleep(1)
            r = dt.call("Runtime.evaluate",
                        {"expression": "JSON.stringify(document.body ? document.body.dataset : {})",
                         "returnByValue": True}, session=s)
            out["readings"].append(json.loads(r["result"]["value"]))
        png = base64.b64decode(dt.call("Page.captureScreenshot", {"format": "png"}, session=s)["data"])
        with open(a.shot, "wb") as f:
            f.write(png)
        out["shot"], out["bytes"] = a.shot, len(png)
        try:
            dt.call("Browser.close")
        except RuntimeError:
            pass
    finally:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())

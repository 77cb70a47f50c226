#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""One long-lived kernel TCP connection to an echo server, used every --interval.

    steady_client.py ADDR --port P [--duration S] [--interval S] [--bytes N]
                     [--timeout S] [--ready FILE]

Connects once, then until --duration has passed sends N bytes and reads
their echo, round after round. --ready FILE: the local port is written there
once connected (so a test knows when to act). Prints one JSON object
{"sport", "rounds", "ok", "errors": [...], "max_round_ms"}; exit 0 only if
every round came back intact and the connection was never lost.
"""
import argparse
import json
import os
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--interval", type=float, default=0.2)
    ap.add_argument("--bytes", type=int, default=100)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--ready")
    a = ap.parse_args()

    fam = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
    out = {"sport": None, "rounds": 0, "ok": 0, "errors": [], "max_round_ms": 0}
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(a.timeout)
    try:
        s.connect((a.addr, a.port))
    except OSError as e:
        out["errors"].append(f"connect: {e}")
        print(json.dumps(out))
        return 1
    out["sport"] = s.getsockname()[1]
    if a.ready:
        with open(a.ready + ".tmp", "w") as f:
            f.write(f"{out['sport']}\n")
        os.rename(a.ready + ".tmp", a.ready)
    end = time.monotonic() + a.duration
    while time.monotonic() < end:
        out["rounds"] += 1
        msg = (f"round {out['rounds']:08d} ".encode() * (a.bytes // 15 + 1))[:a.bytes]
        t0 = time.monotonic()
        try:
            s.sendall(msg)
            got = bytearray()
            while len(got) < len(msg):
                chunk = s.recv(65536)
                if not chunk:
                    raise OSError("connection closed by the server")
                got += chunk
            if bytes(got) != msg:
                raise OSError(f"round {out['rounds']}: echo differs")
        except OSError as e:
            out["errors"].append(f"round {out['rounds']}: {e}")
            break
        out["ok"] += 1
        out["max_round_ms"] = max(out["max_round_ms"], round((time.monotonic() - t0) * 1000, 1))
        time.sleep(a.interval)
    s.close()
    print(json.dumps(out))
    return 0 if not out["errors"] and out["ok"] == out["rounds"] else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Kernel TCP clients for `shakeoff serve` (echo and discard apps).

    serve_client.py echo ADDR --port P --bytes N --close full|half|abort [--seed S]
        full:  send N bytes while reading the echo; once all of it is back,
               shut down writing and wait for the server's FIN (EOF).
        half:  send N bytes, shut down writing at once, then read the whole
               echo and the server's FIN: the server still sends after ours.
        abort: send N bytes, read the echo, close() without waiting for EOF.
    serve_client.py discard ADDR --port P --bytes N [--hold S]
        send N bytes, keep the connection S seconds (for `conns`), shut down
        writing and expect EOF with nothing received.
    serve_client.py hold ADDR --port P [--bytes N] [--hold S]
        send N bytes (default 5), read their echo, print the local port
        (one JSON line, flushed), keep the connection S seconds, close.
    serve_client.py bulk ADDR --port P --bytes N [--timeout S]
        stream N bytes, read the echo concurrently, half-close at the end;
        SHA-256 of both directions, throughput.

Each prints one JSON object; exit 0 only if the data came back intact and
the close went as the mode says.
"""
import argparse
import hashlib
import json
import random
import socket
import sys
import threading
import time


def connect(addr, port, timeout):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((addr, port))
    return s


def payload(n, seed):
    return random.Random(seed).randbytes(n)


def sender(s, data, chunk, shut, err, h=None):
    try:
        for off in range(0, len(data), chunk):
            part = data[off:off + chunk]
            s.sendall(part)
            if h:
                h.update(part)
        if shut:
            s.shutdown(socket.SHUT_WR)
    except OSError as e:
        err.append(f"send: {e}")


def read_n(s, n):
    got = bytearray()
    while len(got) < n:
        c = s.recv(min(1 << 20, n - len(got)))
        if not c:
            break
        got += c
    return bytes(got)


def eof_after(s, timeout):
    """True when the next read is EOF within timeout (anything else is an error)."""
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except OSError:
        return False


def cmd_echo(a):
    data = payload(a.bytes, a.seed)
    out = {"mode": a.close, "addr": a.addr, "sent": len(data)}
    t0 = time.monotonic()
    s = connect(a.addr, a.port, a.timeout)
    out["sport"] = s.getsockname()[1]
    err = []
    th = threading.Thread(target=sender, args=(s, data, 65536, a.close == "half", err))
    th.start()
    got = read_n(s, len(data))
    th.join(a.timeout)
    out["received"] = len(got)
    out["sha_sent"] = hashlib.sha256(data).hexdigest()
    out["sha_recv"] = hashlib.sha256(got).hexdigest()
    out["intact"] = got == data
    if a.close == "full":
        s.shutdown(socket.SHUT_WR)
        out["eof"] = eof_after(s, a.timeout)
    elif a.close == "half":
        out["eof"] = eof_after(s, a.timeout)
    else:
        out["eof"] = None
    s.close()
    out["ms"] = round((time.monotonic() - t0) * 1000, 1)
    if err:
        out["error"] = err[0]
    ok = out["intact"] and not err and out["eof"] is not False
    print(json.dumps(out))
    return 0 if ok else 1


def cmd_discard(a):
    data = payload(a.bytes, a.seed)
    s = connect(a.addr, a.port, a.timeout)
    out = {"addr": a.addr, "sport": s.getsockname()[1], "sent": len(data)}
    print(json.dumps({"sport": out["sport"]}), flush=True)
    s.sendall(data)
    time.sleep(a.hold)
    s.shutdown(socket.SHUT_WR)
    s.settimeout(a.timeout)
    got = bytearray()
    try:
        while True:
            c = s.recv(65536)
            if not c:
                out["eof"] = True
                break
            got += c
    except OSError as e:
        out["eof"] = False
        out["error"] = str(e)
    s.close()
    out["received"] = len(got)
    print(json.dumps(out))
    return 0 if out["eof"] and not got else 1


def cmd_hold(a):
    data = payload(a.bytes, a.seed)
    s = connect(a.addr, a.port, a.timeout)
    s.sendall(data)
    got = read_n(s, len(data))
    print(json.dumps({"sport": s.getsockname()[1], "sent": len(data), "received": len(got),
                      "intact": got == data}), flush=True)
    time.sleep(a.hold)
    s.close()
    return 0 if got == data else 1


def cmd_bulk(a):
    chunk = payload(1 << 20, a.seed)
    hs, hr = hashlib.sha256(), hashlib.sha256()
    err = []
    t0 = time.monotonic()
    s = connect(a.addr, a.port, a.timeout)

    def send():
        try:
            left = a.bytes
            while left > 0:
                part = chunk[:min(left, len(chunk))]
                s.sendall(part)
                hs.update(part)
                left -= len(part)
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append(f"send: {e}")

    th = threading.Thread(target=send)
    th.start()
    got = 0
    try:
        while True:
            c = s.recv(1 << 20)
            if not c:
                break
            hr.update(c)
            got += len(c)
    except OSError as e:
        err.append(f"recv after {got} bytes: {e}")
    th.join(a.timeout)
    s.close()
    dt = time.monotonic() - t0
    out = {"sent": a.bytes, "received": got, "sha_sent": hs.hexdigest(),
           "sha_recv": hr.hexdigest(), "seconds": round(dt, 2),
           "mbytes_per_s": round(got / dt / 1e6, 2)}
    out["intact"] = got == a.bytes and out["sha_sent"] == out["sha_recv"]
    if err:
        out["error"] = err[0]
    print(json.dumps(out))
    return 0 if out["intact"] and not err else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["echo", "discard", "hold", "bulk"])
    ap.add_argument("addr")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--bytes", type=int, default=5)
    ap.add_argument("--close", choices=["full", "half", "abort"], default="full")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--hold", type=float, default=0.0)
    ap.add_argument("--timeout", type=float, default=10.0)
    a = ap.parse_args()
    try:
        rc = {"echo": cmd_echo, "discard": cmd_discard, "hold": cmd_hold, "bulk": cmd_bulk}[a.cmd](a)
    except OSError as e:
        print(json.dumps({"error": f"{a.addr}: {e}"}))
        rc = 1
    sys.exit(rc)


if __name__ == "__main__":
    main()

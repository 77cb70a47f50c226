#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Open real kernel TCP connections to an echo server and check the echo.

    tcp_client.py ADDR [ADDR ...] --port P [--count N] [--bytes B]
                  [--interval S] [--timeout S] [--hold S] [--deadline S]

Each connection (ADDR taken in turn) sends B random bytes while reading the
echo back, then compares; --hold keeps it open S more seconds (for ss).
Connections not started within --deadline seconds count as failed.
Prints one JSON object:
  {"ok": 10, "failed": 0, "errors": [], "conns": [{"addr": ..., "sport": ...,
   "snd_mss": 1448, "options": 7, "connect_ms": 0.4}, ...]}
and exits 0 only if every connection completed with an identical echo.
"""
import argparse
import json
import os
import socket
import struct
import sys
import threading
import time


def tcp_info(sock):
    raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    snd_mss, rcv_mss = struct.unpack_from("=II", raw, 16)
    return {"options": raw[5], "snd_wscale": raw[6] & 0xF, "rcv_wscale": raw[6] >> 4,
            "snd_mss": snd_mss, "rcv_mss": rcv_mss}


def one(addr, port, payload, timeout, hold):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    t0 = time.monotonic()
    try:
        s.connect((addr, port))
        rec = {"addr": addr, "sport": s.getsockname()[1],
               "connect_ms": round((time.monotonic() - t0) * 1000, 2)}
        rec.update(tcp_info(s))
        err = []

        def send():
            try:
                s.sendall(payload)
            except OSError as e:
                err.append(f"send: {e}")

        th = threading.Thread(target=send)
        th.start()
        got = bytearray()
        while len(got) < len(payload):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        th.join(timeout)
        if err:
            raise OSError(err[0])
        if bytes(got) != payload:
            raise OSError(f"echo differs: sent {len(payload)} bytes, got {len(got)}")
        time.sleep(hold)
        return rec, None
    except OSError as e:
        return None, f"{addr}: {e}"
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addrs", nargs="+")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--bytes", type=int, default=1000)
    ap.add_argument("--interval", type=float, default=0.0)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--hold", type=float, default=0.0)
    ap.add_argument("--deadline", type=float, default=60.0)
    a = ap.parse_args()

    payload = os.urandom(a.bytes)
    out = {"ok": 0, "failed": 0, "errors": [], "conns": []}
    deadline = time.monotonic() + a.deadline
    for i in range(a.count):
        if time.monotonic() > deadline:
            out["failed"] += a.count - i
            out["errors"].append("out of time")
            break
        rec, err = one(a.addrs[i % len(a.addrs)], a.port, payload, a.timeout, a.hold)
        if err:
            out["failed"] += 1
            if len(out["errors"]) < 10:
                out["errors"].append(err)
        else:
            out["ok"] += 1
            out["conns"].append(rec)
        if a.interval:
            time.sleep(a.interval)
    print(json.dumps(out))
    sys.exit(0 if out["failed"] == 0 else 1)


if __name__ == "__main__":
    main()

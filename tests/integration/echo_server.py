#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Dual-stack TCP echo server for the integration tests.

    echo_server.py PORT [--log FILE] [--backlog N]

Listens on [::]:PORT for IPv4 and IPv6 and echoes every byte back until the
peer closes. For each accepted connection one JSON line goes to --log with
what the kernel negotiated, read from TCP_INFO right after accept():
  {"peer": "10.99.0.1", "port": 40000, "family": 4, "options": 7,
   "ts": true, "sack": true, "wscale": true, "snd_wscale": 7, "rcv_wscale": 7,
   "snd_mss": 1448, "rcv_mss": 536, "maxseg": 1448}
"""
import argparse
import json
import socket
import struct
import sys
import threading

TCPI_OPT_TIMESTAMPS = 1
TCPI_OPT_SACK = 2
TCPI_OPT_WSCALE = 4

log_lock = threading.Lock()


def tcp_info(sock):
    """The fields of struct tcp_info the tests look at."""
    raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    opts, wsc = raw[5], raw[6]
    snd_mss, rcv_mss = struct.unpack_from("=II", raw, 16)
    return {
        "options": opts,
        "ts": bool(opts & TCPI_OPT_TIMESTAMPS),
        "sack": bool(opts & TCPI_OPT_SACK),
        "wscale": bool(opts & TCPI_OPT_WSCALE),
        "snd_wscale": wsc & 0xF,
        "rcv_wscale": wsc >> 4,
        "snd_mss": snd_mss,
        "rcv_mss": rcv_mss,
        "maxseg": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG),
    }


def peer_of(addr):
    host = addr[0]
    if host.startswith("::ffff:"):
        return host[7:], 4
    return host, 6


def serve(conn, addr, logf):
    host, fam = peer_of(addr)
    rec = {"peer": host, "port": addr[1], "family": fam}
    try:
        rec.update(tcp_info(conn))
    except OSError as e:
        rec["error"] = str(e)
    if logf:
        with log_lock:
            logf.write(json.dumps(rec) + "\n")
            logf.flush()
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--log")
    ap.add_argument("--backlog", type=int, default=128)
    a = ap.parse_args()

    logf = open(a.log, "a") if a.log else None
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    ls.bind(("::", a.port))
    ls.listen(a.backlog)
    print(f"listening on [::]:{a.port}", flush=True)
    while True:
        conn, addr = ls.accept()
        threading.Thread(target=serve, args=(conn, addr, logf), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)

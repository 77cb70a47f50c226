#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Does a TCP server ever move the right edge of its receive window left?

    tcpdump -r FILE -nn -S -tt | win_check.py --port P

RFC 9293 3.8.6: a receiver should not shrink the window (move its right
edge, SEG.ACK + SEG.WND << scale, to the left). For every connection to
port P in the capture, follows the server's right edge from its SYN-ACK's
window scale on and prints one JSON object:
  {"connections": N, "segments": N, "shrinking": N, "shrinks": N,
   "max_shrink": BYTES, "examples": [{"client": "10.99.0.1.40000", "time": ..,
   "ack": .., "win": .., "edge_before": .., "edge_now": ..}, ...]}
Sequence numbers are absolute (tcpdump -S); edges are compared mod 2^32.
"""
import argparse
import json
import re
import sys

LINE = re.compile(
    r"^(?P<t>[\d.]+) IP6? (?P<src>\S+)\.(?P<sport>\d+) > (?P<dst>\S+)\.(?P<dport>\d+): "
    r"Flags \[(?P<flags>[^\]]*)\]"
    r"(?:, seq (?P<seq>\d+)(?::\d+)?)?"
    r"(?:, ack (?P<ack>\d+))?"
    r", win (?P<win>\d+)"
    r"(?:, options \[(?P<opts>[^\]]*)\])?")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--examples", type=int, default=5)
    a = ap.parse_args()

    conns = {}
    out = {"connections": 0, "segments": 0, "shrinking": 0, "shrinks": 0, "max_shrink": 0,
           "examples": []}
    for line in sys.stdin:
        m = LINE.match(line)
        if not m or int(m["sport"]) != a.port:
            continue
        client = f"{m['dst']}.{m['dport']}"
        flags = m["flags"]
        if "S" in flags:
            ws = re.search(r"wscale (\d+)", m["opts"] or "")
            conns[client] = {"ws": int(ws[1]) if ws else 0, "edge": None, "shrinks": 0}
            out["connections"] += 1
            continue
        c = conns.get(client)
        if c is None or m["ack"] is None or "R" in flags:
            continue
        out["segments"] += 1
        edge = (int(m["ack"]) + (int(m["win"]) << c["ws"])) % 2**32
        if c["edge"] is not None:
            back = (c["edge"] - edge) % 2**32
            if 0 < back < 2**31:
                c["shrinks"] += 1
                out["shrinks"] += 1
                out["max_shrink"] = max(out["max_shrink"], back)
                if len(out["examples"]) < a.examples:
                    out["examples"].append({"client": client, "time": float(m["t"]),
                                            "ack": int(m["ack"]), "win": int(m["win"]),
                                            "edge_before": c["edge"], "edge_now": edge})
                continue  # the edge the peer may use is still the old one
        c["edge"] = edge
    out["shrinking"] = sum(1 for c in conns.values() if c["shrinks"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Data with a bad TCP checksum injected into a live connection to an echo server.

    csum_inject.py --iface I --dst-mac M --dst IP --port P [--wait S]

A kernel socket connects and echoes (its own segments leave veth with
CHECKSUM_PARTIAL: the field holds the pseudo-header sum only); a capture on I
follows its sequence numbers. scapy then sends, with the client's own
addresses and the live numbers:
  bad_csum   data at exactly RCV.NXT, inside the window, its TCP checksum off
             -> nothing back: not acknowledged, not echoed
  echo       the kernel socket echoes again and gets exactly its own bytes
  good_csum  control: the same data with its checksum right -> acknowledged
             (ack = RCV.NXT + its length), so the numbers above were the live
             ones. The connection is out of step after it and is closed.
Prints one JSON object {"steps": [...], "ok": bool}.
"""
import argparse
import sys
import time

from live_flow import Flow

PAYLOAD = b"BAD-CSUM-DATA-" * 7 + b"x"  # 99 bytes: an odd length


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", required=True)
    ap.add_argument("--dst-mac", dest="dst_mac", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--wait", type=float, default=0.7)  # longer than any delayed ACK
    a = ap.parse_args()

    f = Flow(a)
    steps, ok_all = [], True

    def record(rec):
        nonlocal ok_all
        ok_all &= rec["ok"]
        steps.append(rec)

    ok, err = f.echo("first")
    record({"name": "first_echo", "ok": ok, "error": err})
    time.sleep(0.3)

    c_nxt, s_nxt, _, ts = f.state()
    replies = f.inject("PA", c_nxt, s_nxt, PAYLOAD, ts, csum_xor=0x0100)
    sent, good = f.csum_sent, f.csum_good
    record({"name": "bad_csum", "seq": c_nxt, "len": len(PAYLOAD), "chksum": sent, "right": good,
            "replies": replies, "ok": replies == []})
    ok, err = f.echo("after_bad_csum")
    record({"name": "echo", "ok": ok, "error": err})
    time.sleep(0.3)

    c_nxt, s_nxt, _, ts = f.state()
    replies = f.inject("PA", c_nxt, s_nxt, PAYLOAD, ts)
    sent, good = f.csum_sent, f.csum_good
    acked = any("A" in r["flags"] and r["ack"] == (c_nxt + len(PAYLOAD)) & 0xFFFFFFFF for r in replies)
    record({"name": "good_csum", "seq": c_nxt, "len": len(PAYLOAD), "chksum": sent,
            "replies": replies, "ok": acked})
    return f.finish(steps, ok_all)


if __name__ == "__main__":
    sys.exit(main())

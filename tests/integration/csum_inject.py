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
import json
import socket
import sys
import time

from scapy.all import IP, TCP, AsyncSniffer, Ether, IPv6, Raw, conf, get_if_hwaddr, sendp

conf.verb = 0
PAYLOAD = b"BAD-CSUM-DATA-" * 7 + b"x"  # 99 bytes: an odd length


class Flow:
    def __init__(self, a):
        self.a = a
        self.pkts = []
        flt = f"tcp and host {a.dst} and port {a.port}"
        self.sn = AsyncSniffer(iface=a.iface, filter=flt, store=False, prn=self.pkts.append)
        self.sn.start()
        time.sleep(0.3)  # the capture must be bound before the SYN leaves
        fam = socket.AF_INET6 if ":" in a.dst else socket.AF_INET
        self.s = socket.socket(fam, socket.SOCK_STREAM)
        self.s.settimeout(5)
        self.s.connect((a.dst, a.port))
        self.src, self.sport = self.s.getsockname()[:2]
        self.mac = get_if_hwaddr(a.iface)

    def ours(self, p, to_server):
        if TCP not in p:
            return False
        t = p[TCP]
        if to_server:
            return t.sport == self.sport and t.dport == self.a.port
        return t.sport == self.a.port and t.dport == self.sport

    @staticmethod
    def seq_end(p):
        t = p[TCP]
        n = len(bytes(t.payload))
        return (t.seq + n + (1 if t.flags & 0x03 else 0)) & 0xFFFFFFFF

    def state(self):
        """(client's SND.NXT, server's SND.NXT, client's latest timestamp)."""
        cs = [p for p in self.pkts if self.ours(p, True)]
        ss = [p for p in self.pkts if self.ours(p, False)]
        ts = dict((o[0], o[1]) for o in cs[-1][TCP].options if isinstance(o, tuple)).get("Timestamp")
        return self.seq_end(cs[-1]), self.seq_end(ss[-1]), ts

    def echo(self, tag):
        msg = f"echo {tag} ".encode() * 20
        try:
            self.s.sendall(msg)
            got = bytearray()
            while len(got) < len(msg):
                c = self.s.recv(65536)
                if not c:
                    return False, "EOF"
                got += c
            return bytes(got) == msg, None if bytes(got) == msg else f"got {bytes(got)[:60]!r}"
        except OSError as e:
            return False, str(e)

    def inject(self, seq, ack, ts, bad):
        l3 = IPv6(src=self.src, dst=self.a.dst) if ":" in self.a.dst else IP(src=self.src, dst=self.a.dst)
        opts = [("NOP", None), ("NOP", None), ("Timestamp", ts)] if ts else []
        seg = TCP(sport=self.sport, dport=self.a.port, flags="PA", seq=seq, ack=ack, window=502,
                  options=opts) / Raw(PAYLOAD)
        frame = Ether(src=self.mac, dst=self.a.dst_mac) / l3 / seg
        good = Ether(bytes(frame))[TCP].chksum
        if bad:
            frame[TCP].chksum = good ^ 0x0100
        mark = len(self.pkts)
        sendp(frame, iface=self.a.iface)
        time.sleep(self.a.wait)
        replies = [{"flags": str(p[TCP].flags), "seq": p[TCP].seq, "ack": p[TCP].ack,
                    "len": len(bytes(p[TCP].payload))} for p in self.pkts[mark:] if self.ours(p, False)]
        return frame[TCP].chksum, good, replies


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

    c_nxt, s_nxt, ts = f.state()
    sent, good, replies = f.inject(c_nxt, s_nxt, ts, bad=True)
    record({"name": "bad_csum", "seq": c_nxt, "len": len(PAYLOAD), "chksum": sent, "right": good,
            "replies": replies, "ok": replies == []})
    ok, err = f.echo("after_bad_csum")
    record({"name": "echo", "ok": ok, "error": err})
    time.sleep(0.3)

    c_nxt, s_nxt, ts = f.state()
    sent, good, replies = f.inject(c_nxt, s_nxt, ts, bad=False)
    acked = any("A" in r["flags"] and r["ack"] == (c_nxt + len(PAYLOAD)) & 0xFFFFFFFF for r in replies)
    record({"name": "good_csum", "seq": c_nxt, "len": len(PAYLOAD), "chksum": sent,
            "replies": replies, "ok": acked})
    f.s.close()
    time.sleep(0.2)
    f.sn.stop()
    print(json.dumps({"sport": f.sport, "steps": steps, "ok": bool(ok_all)}))
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Hand-made TCP segments with scapy, for what a kernel client never sends.

    forge.py segs  --iface I --dst-mac M --src IP --dst IP --dport P --flags F:N[,F:N...]
        N segments with TCP flags F (A, R, RA, F, FA, ...) each, random source
        port, seq and ack; then listens on I for anything the destination
        sends back.
    forge.py syn   --iface I --dst-mac M --src IP --dst IP --dport P --sport S --out FILE
        one SYN with Linux's options (MSS 1460, SACK_PERM, TS, WS 7); the
        SYN-ACK that answers it is written to FILE as JSON.
    forge.py ack   --iface I --dst-mac M --in FILE
        the final ACK of the handshake recorded in FILE, timestamps echoed;
        then listens for anything the destination sends back.

Each prints one JSON object: {"sent": N, "replies": [{"sport": .., "flags": ".."}]}
(segs: "sent" counts per flag set).
(syn adds "synack": {...}).
"""
import argparse
import json
import random
import sys
import time

from scapy.all import IP, TCP, AsyncSniffer, Ether, IPv6, conf, get_if_hwaddr, sendp

conf.verb = 0


def l3(src, dst):
    return IPv6(src=src, dst=dst) if ":" in dst else IP(src=src, dst=dst)


def l3_of(pkt):
    return pkt[IPv6] if IPv6 in pkt else pkt[IP]


def sniffer(iface, src, dst, dport, stop_filter=None):
    """Replies from dst:dport to src, started before anything is sent."""
    flt = f"tcp and src host {dst} and dst host {src} and src port {dport}"
    s = AsyncSniffer(iface=iface, filter=flt, store=True, stop_filter=stop_filter)
    s.start()
    time.sleep(0.3)  # the capture socket must be bound before the first frame leaves
    return s


def replies_of(pkts):
    return [{"sport": p[TCP].dport, "flags": str(p[TCP].flags), "seq": p[TCP].seq,
             "ack": p[TCP].ack} for p in pkts if TCP in p]


def cmd_segs(a):
    eth = Ether(src=get_if_hwaddr(a.iface), dst=a.dst_mac)
    sn = sniffer(a.iface, a.src, a.dst, a.dport)
    frames, sent = [], {}
    for spec in a.flags.split(","):
        flags, count = spec.split(":")
        sent[flags] = int(count)
        for _ in range(int(count)):
            frames.append(eth / l3(a.src, a.dst) /
                          TCP(sport=random.randint(20000, 60000), dport=a.dport, flags=flags,
                              seq=random.getrandbits(32), ack=random.getrandbits(32),
                              window=502))
    sendp(frames, iface=a.iface)
    time.sleep(a.listen)
    pkts = sn.stop()
    return {"sent": sent, "replies": replies_of(pkts)}


SYN_OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (123456, 0)), ("NOP", None),
            ("WScale", 7)]


def cmd_syn(a):
    eth = Ether(src=get_if_hwaddr(a.iface), dst=a.dst_mac)
    isn = random.getrandbits(32)

    def is_synack(p):
        return TCP in p and p[TCP].dport == a.sport and p[TCP].flags == "SA"

    sn = sniffer(a.iface, a.src, a.dst, a.dport, stop_filter=is_synack)
    sendp(eth / l3(a.src, a.dst) /
          TCP(sport=a.sport, dport=a.dport, flags="S", seq=isn, window=64240,
              options=SYN_OPTS), iface=a.iface)
    sn.join(a.listen)
    pkts = sn.stop() if sn.running else sn.results
    synack = next((p for p in pkts if is_synack(p)), None)
    rec = {"iface": a.iface, "src": a.src, "dst": a.dst, "sport": a.sport, "dport": a.dport,
           "isn": isn, "tsval": 123456}
    if synack is not None:
        opts = dict((k, v) for k, v in synack[TCP].options if k)
        rec["synack"] = {"seq": synack[TCP].seq, "ack": synack[TCP].ack,
                         "ts": list(opts["Timestamp"]) if "Timestamp" in opts else None,
                         "mss": opts.get("MSS"), "wscale": opts.get("WScale"),
                         "ttl": l3_of(synack).ttl if IP in synack else l3_of(synack).hlim}
    with open(a.out, "w") as f:
        json.dump(rec, f)
    return {"sent": 1, "replies": replies_of(pkts), "synack": rec.get("synack")}


def cmd_ack(a):
    with open(a.in_) as f:
        rec = json.load(f)
    sa = rec["synack"]
    opts = []
    if sa.get("ts"):
        opts = [("NOP", None), ("NOP", None), ("Timestamp", (rec["tsval"] + 100, sa["ts"][0]))]
    eth = Ether(src=get_if_hwaddr(rec["iface"]), dst=a.dst_mac)
    sn = sniffer(rec["iface"], rec["src"], rec["dst"], rec["dport"])
    sendp(eth / l3(rec["src"], rec["dst"]) /
          TCP(sport=rec["sport"], dport=rec["dport"], flags="A", seq=rec["isn"] + 1,
              ack=(sa["seq"] + 1) & 0xFFFFFFFF, window=502, options=opts),
          iface=rec["iface"])
    time.sleep(a.listen)
    pkts = sn.stop()
    return {"sent": 1, "replies": replies_of(pkts)}


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("segs", "syn", "ack"):
        p = sub.add_parser(name)
        p.add_argument("--iface", required=name != "ack")
        p.add_argument("--dst-mac", required=True)
        p.add_argument("--listen", type=float, default=1.0)
        if name != "ack":
            p.add_argument("--src", required=True)
            p.add_argument("--dst", required=True)
            p.add_argument("--dport", type=int, required=True)
    sub.choices["segs"].add_argument("--flags", default="A:10")
    sub.choices["syn"].add_argument("--sport", type=int, required=True)
    sub.choices["syn"].add_argument("--out", required=True)
    sub.choices["ack"].add_argument("--in", dest="in_", required=True)
    a = ap.parse_args()
    out = {"segs": cmd_segs, "syn": cmd_syn, "ack": cmd_ack}[a.cmd](a)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

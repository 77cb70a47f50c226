#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""One TCP handshake split over two servers, as ECMP may split it.

    keyroll_client.py --syn-if I --syn-mac M --ack-if J --ack-mac N
                      --src IP --dst IP --dport P [--timeout S]

Sends a SYN out of interface I (to MAC M), takes the SYN-ACK that comes back
on I, sends the final ACK out of J (to MAC N) and waits for what the server
behind J writes once it has accept()ed the connection; then resets it. Raw
AF_PACKET frames with their own checksums: the interfaces have no address,
so the client's kernel never answers a SYN-ACK with a RST. Prints one JSON
line; exit 0 if the server behind J greeted us, 1 if it did not, 2 without
a SYN-ACK.
"""
import argparse
import json
import os
import random
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
SYN, RST, PSH, ACK = 0x02, 0x04, 0x08, 0x10


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Link:
    """An interface: frames out to a fixed peer MAC, TCP segments in."""

    def __init__(self, ifname, peer_mac):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind((ifname, 0))
        with open("/sys/class/net/%s/address" % ifname) as f:
            self.mac = bytes.fromhex(f.read().strip().replace(":", ""))
        self.peer = bytes.fromhex(peer_mac.replace(":", ""))

    def send(self, src, dst, sport, dport, seq, ack, flags, opts=b""):
        saddr, daddr = socket.inet_aton(src), socket.inet_aton(dst)
        hlen = 20 + len(opts)
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (hlen // 4) << 4, flags,
                          64240, 0, 0) + opts
        pseudo = saddr + daddr + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), random.getrandbits(16),
                         0x4000, 64, 6, 0, saddr, daddr)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        self.sock.send(self.peer + self.mac + struct.pack("!H", ETH_P_IP) + ip + tcp)

    def recv(self, src, dst, sport, dport, deadline):
        """The next segment from src:sport to dst:dport: (seq, ack, flags, payload) or None."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                return None
            frame = self.sock.recv(2048)
            if len(frame) < 54 or frame[12:14] != b"\x08\x00":
                continue
            ip = frame[14:]
            ihl = (ip[0] & 0xF) * 4
            if ip[9] != 6 or ip[12:16] != socket.inet_aton(src) or \
                    ip[16:20] != socket.inet_aton(dst):
                continue
            tcp = ip[ihl:struct.unpack("!H", ip[2:4])[0]]
            sp, dp, seq, ack, off, flags = struct.unpack("!HHIIBB", tcp[:14])
            if sp != sport or dp != dport:
                continue
            return seq, ack, flags, tcp[(off >> 4) * 4:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--syn-if", required=True)
    ap.add_argument("--syn-mac", required=True)
    ap.add_argument("--ack-if", required=True)
    ap.add_argument("--ack-mac", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--dport", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=1.5)
    a = ap.parse_args()

    rnd = random.Random(os.getpid() ^ time.monotonic_ns())
    sport = rnd.randrange(20000, 60000)
    isn = rnd.getrandbits(32)
    syn_link = Link(a.syn_if, a.syn_mac)
    ack_link = Link(a.ack_if, a.ack_mac)
    out = {"sport": sport, "syn_if": a.syn_if, "ack_if": a.ack_if}

    syn_link.send(a.src, a.dst, sport, a.dport, isn, 0, SYN, b"\x02\x04\x05\xb4")
    deadline = time.monotonic() + a.timeout
    while True:
        seg = syn_link.recv(a.dst, a.src, a.dport, sport, deadline)
        if seg is None or (seg[2] & (SYN | ACK)) == SYN | ACK:
            break
    if seg is None or seg[1] != (isn + 1) & 0xFFFFFFFF:
        out["error"] = "no SYN-ACK on %s" % a.syn_if
        print(json.dumps(out))
        return 2
    cookie = seg[0]
    out["cookie"] = "%08x" % cookie
    mine = (isn + 1) & 0xFFFFFFFF
    ack_link.send(a.src, a.dst, sport, a.dport, mine, (cookie + 1) & 0xFFFFFFFF, ACK)
    deadline = time.monotonic() + a.timeout
    greeting = None
    while greeting is None:
        seg = ack_link.recv(a.dst, a.src, a.dport, sport, deadline)
        if seg is None:
            break
        if seg[2] & RST:
            out["rst"] = True
            break
        if seg[3]:
            greeting = seg[3].decode(errors="replace").strip()
    ack_link.send(a.src, a.dst, sport, a.dport, mine, 0, RST)
    out["greeting"] = greeting
    print(json.dumps(out))
    return 0 if greeting else 1


if __name__ == "__main__":
    sys.exit(main())

# SPDX-License-Identifier: GPL-2.0
"""A kernel TCP connection from the client namespace, watched by a capture so
that scapy can inject segments into it with the live sequence numbers
(blind_inject.py, csum_inject.py). The argparse namespace `a` carries iface,
dst_mac, dst, port and wait."""
import json
import socket
import time

from scapy.all import IP, TCP, AsyncSniffer, Ether, IPv6, Raw, conf, get_if_hwaddr, sendp

conf.verb = 0


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
        return (t.seq + n + (1 if t.flags & 0x02 else 0) + (1 if t.flags & 0x01 else 0)) & 0xFFFFFFFF

    def state(self):
        """(client's SND.NXT, server's SND.NXT, server's window in bytes, client's TS)."""
        cs = [p for p in self.pkts if self.ours(p, True)]
        ss = [p for p in self.pkts if self.ours(p, False)]
        synack = next(p for p in ss if p[TCP].flags & 0x12 == 0x12)
        ws = dict((o[0], o[1]) for o in synack[TCP].options if isinstance(o, tuple)).get("WScale", 0)
        ts = dict((o[0], o[1]) for o in cs[-1][TCP].options if isinstance(o, tuple)).get("Timestamp")
        return self.seq_end(cs[-1]), self.seq_end(ss[-1]), ss[-1][TCP].window << ws, ts

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

    def inject(self, flags, seq, ack=0, data=b"", ts=None, csum_xor=0):
        """Send one segment as the client; the server's replies within a.wait.
        csum_xor spoils its TCP checksum (self.csum_sent / self.csum_good say how)."""
        l3 = IPv6(src=self.src, dst=self.a.dst) if ":" in self.a.dst else IP(src=self.src, dst=self.a.dst)
        opts = [("NOP", None), ("NOP", None), ("Timestamp", ts)] if ts else []
        seg = TCP(sport=self.sport, dport=self.a.port, flags=flags, seq=seq, ack=ack, window=502, options=opts)
        frame = Ether(src=self.mac, dst=self.a.dst_mac) / l3 / seg / (Raw(data) if data else b"")
        self.csum_good = Ether(bytes(frame))[TCP].chksum
        if csum_xor:
            frame[TCP].chksum = self.csum_good ^ csum_xor
        self.csum_sent = Ether(bytes(frame))[TCP].chksum
        mark = len(self.pkts)
        sendp(frame, iface=self.a.iface)
        time.sleep(self.a.wait)
        return [{"flags": str(p[TCP].flags), "seq": p[TCP].seq, "ack": p[TCP].ack,
                 "len": len(bytes(p[TCP].payload))} for p in self.pkts[mark:] if self.ours(p, False)]

    def finish(self, steps, ok_all):
        """Close the connection and the capture; print the one JSON result; the exit code."""
        self.s.close()
        time.sleep(0.2)
        self.sn.stop()
        print(json.dumps({"sport": self.sport, "steps": steps, "ok": bool(ok_all)}))
        return 0 if ok_all else 1

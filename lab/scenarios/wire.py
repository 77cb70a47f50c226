# SPDX-License-Identifier: GPL-2.0
"""The client side of a scenario: scripted segments out of one interface, every
segment the server sends back recorded with its capture time.

The client uses an address its own kernel does not own (the server has a
static neighbour entry for it), so the client namespace's kernel never answers
a SYN-ACK or data with a RST of its own: everything the server sees comes
from the script. One Wire (sender socket + sniffer) serves all flows of a run;
each flow is one 4-tuple and records into its own trace.
"""
import random
import threading
import time

from scapy.all import IP, TCP, AsyncSniffer, Ether, IPv6, conf, get_if_hwaddr

conf.verb = 0

MOD = 1 << 32


def sdiff(a, b):
    """a - b in sequence space, signed."""
    return ((a - b + (1 << 31)) % MOD) - (1 << 31)


FLAG_BITS = "FSRPAUEC"


def flag_str(v):
    """Flags in a fixed order (S, F, R, P, A, U): 'SA', 'FA', 'PA', 'R', 'RA' ..."""
    v = int(v)
    out = ""
    for ch in "SFRPAU":
        if v & (1 << FLAG_BITS.index(ch)):
            out += ch
    return out


def payload(off, n):
    """Bytes of the client's stream at offset off (1 = first byte after the SYN)."""
    return bytes(0x41 + (i % 26) for i in range(off - 1, off - 1 + n))


class NoReply(Exception):
    pass


class Wire:
    """One raw sender and one sniffer on the client interface for every flow of a run."""

    def __init__(self, iface, dst_mac, cli4, srv4, cli6, srv6):
        self.iface = iface
        self.src_mac = get_if_hwaddr(iface)
        self.dst_mac = dst_mac
        self.addr = {4: (cli4, srv4), 6: (cli6, srv6)}
        self.flows = {}
        self.lock = threading.Lock()
        self.sock = conf.L2socket(iface=iface)
        ready = threading.Event()
        flt = f"tcp and (dst host {cli4} or dst host {cli6})"
        self.sniffer = AsyncSniffer(iface=iface, filter=flt, prn=self._rx, store=False,
                                    started_callback=ready.set)
        self.sniffer.start()
        if not ready.wait(5):
            raise RuntimeError("sniffer did not start")
        time.sleep(0.2)

    def close(self):
        time.sleep(0.1)
        self.sniffer.stop()
        self.sock.close()

    def flow(self, name, fam, dport, cport):
        f = Flow(self, name, fam, dport, cport)
        self.flows[(fam, cport)] = f
        return f

    def send(self, frame):
        """The time just before the frame leaves: any reply is captured later."""
        with self.lock:
            t = time.time()
            self.sock.send(frame)
        return t

    def _rx(self, pkt):
        if TCP not in pkt:
            return
        fam = 6 if IPv6 in pkt else 4
        f = self.flows.get((fam, pkt[TCP].dport))
        if f is not None:
            f.rx_segment(pkt)


def opts_list(opts):
    out = []
    for k, v in opts:
        if k in ("NOP", "EOL"):
            continue
        if isinstance(v, bytes):
            v = v.hex()
        elif isinstance(v, tuple):
            v = list(v)
        out.append([k, v])
    return out


class Flow:
    """One connection as the script sees it. Client sequence numbers are
    tracked in snd_nxt; the server's in rcv_nxt (in-order only). Client TSvals
    are ts_base + 100 * k for the k-th client segment, so a server's TSecr
    names the segment it echoes."""

    def __init__(self, wire, name, fam, dport, cport):
        self.wire = wire
        self.name = name
        self.fam = fam
        self.cli, self.srv = wire.addr[fam]
        self.dport = dport
        self.cport = cport
        self.isn = random.getrandbits(32)
        self.snd_nxt = self.isn
        self.ts_base = random.getrandbits(30) + 1000
        self.ts_k = 0
        self.ts_on = False      # timestamps negotiated (our SYN had TS and the SYN-ACK too)
        self.syn_ts = False
        self.srv_ws = False
        self.mss = 1460
        self.win = 502          # what our ACKs advertise (unscaled field)
        self.srv_isn = None
        self.rcv_nxt = None
        self.rcv_edge = None    # right edge of the window we advertised (seq space)
        self.ws = None          # the shift our SYN offered (None: no WS option)
        self.ts_recent = 0
        self.rx = []
        self.tx = []
        self.phases = []
        self.cond = threading.Condition()
        self.error = None

    # ---- recording --------------------------------------------------------
    def rx_segment(self, pkt):
        t = pkt[TCP]
        raw = bytes(t.payload)
        rec = {"t": float(pkt.time), "flags": flag_str(t.flags), "seq": t.seq, "ack": t.ack,
               "win": t.window, "opts": opts_list(t.options), "data": raw.hex(),
               "ttl": pkt[IP].ttl if IP in pkt else pkt[IPv6].hlim}
        with self.cond:
            self.rx.append(rec)
            fl = rec["flags"]
            if "S" in fl and "A" in fl and self.srv_isn is None:
                self.srv_isn = t.seq
            if "S" in fl and "A" in fl and self.rcv_nxt is None:
                self.rcv_nxt = (t.seq + 1) % MOD
            elif self.rcv_nxt is not None and "R" not in fl:
                end = (t.seq + len(raw) + (1 if "F" in fl else 0)) % MOD
                if self.rcv_edge is not None and sdiff(end - (1 if "F" in fl else 0), self.rcv_edge) > 0:
                    pass    # beyond the window we advertised (a zero-window probe): not taken
                elif sdiff(t.seq, self.rcv_nxt) <= 0 < sdiff(end, self.rcv_nxt):
                    self.rcv_nxt = end
            for k, v in t.options:
                if k == "Timestamp" and (self.ts_recent == 0 or sdiff(v[0], self.ts_recent) > 0):
                    self.ts_recent = v[0]
            self.cond.notify_all()

    def phase(self, name, keep=False):
        """Start a phase: what the server sends from now on is attributed to it.
        keep: retransmissions and probes are part of what this phase checks."""
        self.phases.append({"name": name, "t0": time.time(), "keep": keep})

    # ---- sending ----------------------------------------------------------
    def next_tsval(self):
        v = (self.ts_base + 100 * self.ts_k) % MOD
        self.ts_k += 1
        return v

    def send(self, flags="A", data=b"", seq=None, ack=None, win=None, opts=None, ts=None,
             advance=None, tsval=None):
        """Send one segment. seq defaults to SND.NXT (and then advances by what
        the segment occupies), ack to the server's in-order RCV.NXT; opts
        overrides the options entirely; ts=False leaves out the timestamp;
        tsval reuses a TSval (a burst sent within one clock tick)."""
        if advance is None:
            advance = seq is None
        if seq is None:
            seq = self.snd_nxt
        if ack is None:
            ack = self.rcv_nxt if self.rcv_nxt is not None else 0
        if win is None:
            win = self.win
        if opts is None:
            opts = []
            if self.ts_on and "R" not in flags and ts is not False:
                tsv = self.next_tsval() if tsval is None else tsval
                opts = [("NOP", None), ("NOP", None), ("Timestamp", (tsv, self.ts_recent))]
        else:
            # ("Timestamp", None): our next TSval, echoing the server's latest
            opts = [(k, (self.next_tsval(), self.ts_recent)) if k == "Timestamp" and v is None
                    else (k, v) for k, v in opts]
        l3 = IPv6(src=self.cli, dst=self.srv) if self.fam == 6 else IP(src=self.cli, dst=self.srv)
        seg = TCP(sport=self.cport, dport=self.dport, flags=flags, seq=seq % MOD,
                  ack=(ack % MOD) if "A" in flags else 0, window=win, options=opts)
        frame = Ether(src=self.wire.src_mac, dst=self.wire.dst_mac) / l3 / seg
        if data:
            frame = frame / data
        tsv = next((v[0] for k, v in opts if k == "Timestamp"), None)
        if "A" in flags and "R" not in flags:
            shift = self.ws if (self.ws is not None and self.srv_ws) else 0
            self.rcv_edge = (ack + (win << shift)) % MOD
        t = self.wire.send(frame)
        self.tx.append({"t": t, "phase": len(self.phases) - 1, "flags": flag_str(seg.flags),
                        "seq": seq % MOD, "ack": ack % MOD if "A" in flags else None,
                        "len": len(data), "win": win, "tsval": tsv})
        if advance:
            self.snd_nxt = (seq + len(data) + ("S" in flags) + ("F" in flags)) % MOD
        return t

    def wait(self, secs):
        time.sleep(secs)

    def wait_for(self, pred, timeout):
        """The first segment of the current phase that satisfies pred, or None."""
        t0 = self.phases[-1]["t0"] if self.phases else 0
        end = time.time() + timeout
        with self.cond:
            while True:
                for r in self.rx:
                    if r["t"] >= t0 - 0.001 and pred(r):
                        return r
                left = end - time.time()
                if left <= 0:
                    return None
                self.cond.wait(left)

    # ---- script building blocks --------------------------------------------
    def syn_opts(self, kind):
        if kind == "full":
            return [("MSS", self.mss), ("SAckOK", b""), ("Timestamp", None), ("NOP", None),
                    ("WScale", 7)]
        if kind == "ws0":
            return [("MSS", self.mss), ("SAckOK", b""), ("Timestamp", None), ("NOP", None),
                    ("WScale", 0)]
        if kind == "ts":
            return [("MSS", self.mss), ("NOP", None), ("NOP", None), ("Timestamp", None)]
        if kind == "none":
            return []
        raise ValueError(kind)

    def syn(self, kind="full", win=64240, isn=None):
        """Send the SYN (or the same SYN again); remember what it offered."""
        self.syn_kind = kind
        self.syn_win = win
        opts = [(k, (self.next_tsval(), 0)) if k == "Timestamp" else (k, v)
                for k, v in self.syn_opts(kind)]
        self.syn_ts = any(k == "Timestamp" for k, _ in opts)
        self.ws = next((v for k, v in opts if k == "WScale"), None)
        if kind == "none":
            self.mss = 536
        return self.send("S", seq=self.isn if isn is None else isn, opts=opts, win=win,
                         advance=True)

    def wait_synack(self, timeout=1.0):
        r = self.wait_for(lambda r: r["flags"] == "SA", timeout)
        if r is None:
            raise NoReply("no SYN-ACK")
        self.ts_on = self.syn_ts and any(k == "Timestamp" for k, _ in r["opts"])
        self.srv_ws = any(k == "WScale" for k, _ in r["opts"])
        return r

    def handshake(self, kind="full", win=64240, ack_win=None, settle=0.2):
        """SYN -> SYN-ACK -> ACK, each its own phase."""
        self.phase("SYN")
        self.syn(kind, win)
        self.wait_synack()
        self.wait(0.1)
        if ack_win is not None:
            self.win = ack_win
        elif kind in ("none", "ts"):
            self.win = 64240
        self.step("ACK", "A", wait=settle)

    def step(self, name, flags="A", data=b"", wait=0.4, keep=False, **kw):
        """A phase with one client segment, then wait for the server."""
        self.phase(name, keep)
        self.send(flags, data, **kw)
        self.wait(wait)

    def data(self, n, name=None, wait=0.4, flags="PA", **kw):
        off = sdiff(self.snd_nxt, self.isn)
        self.step(name or f"data {n}B", flags, payload(off, n), wait=wait, **kw)

    def trace(self):
        return {"name": self.name, "fam": self.fam, "dport": self.dport, "cport": self.cport,
                "isn": self.isn, "srv_isn": self.srv_isn, "ts_base": self.ts_base,
                "mss": self.mss, "ts_on": self.ts_on, "ws": self.ws if self.srv_ws else None,
                "phases": self.phases, "rx": self.rx,
                "tx": self.tx, "error": self.error}

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The textbook cases of `shakeoff lab scenario`: the scenario engine's
scripted client (wire.py) playing one case against a real server, what the
reader should notice, and the checks that say the case happened as the
textbook tells it.

    textbook.py list
        name, app (echo | closefirst) and a one-line description, tab separated
    textbook.py play NAME --dst-mac MAC --port N [--server kernel|serve|guard]
                          [--iface cli0] [--cli4 IP] [--srv4 IP] [--json]
        Play NAME (from the client namespace), then print the notes and the
        checks (text, or one JSON line with --json); shakeoff trace draws the ladder.
        Exit 0: every check held; 1: one did not; 2: unknown NAME.

Most cases are conformance scenarios (scenarios.py) played as they are; the
conformance suite never plays this table, so it records what it always did.
"""
import argparse
import json
import random
import sys
import time

HERE = __file__.rsplit("/", 1)[0]
sys.path.insert(0, HERE)

# the engine (scapy underneath) is imported by play only: list answers at once
sc = MOD = NoReply = Wire = sdiff = None


def load_engine():
    global sc, MOD, NoReply, Wire, sdiff
    import scenarios
    import wire
    sc, MOD, NoReply, Wire, sdiff = scenarios, wire.MOD, wire.NoReply, wire.Wire, wire.sdiff


def conf_fn(name):
    """A conformance scenario played as it is, looked up when played."""
    def play(f):
        return next(s.fn for s in sc.SCENARIOS if s.name == name)(f)
    return play


# ---- what the server sent, as the checks read it --------------------------

def rx_from(f, phase):
    """The server's segments from the first phase whose name starts with phase on."""
    t0 = next(p["t0"] for p in f.phases if p["name"].startswith(phase))
    return [r for r in sorted(f.rx, key=lambda r: r["t"]) if r["t"] >= t0 - 0.001]


def rx_in(f, phase):
    """The server's segments inside that phase only."""
    idx = next(i for i, p in enumerate(f.phases) if p["name"].startswith(phase))
    t0 = f.phases[idx]["t0"]
    t1 = f.phases[idx + 1]["t0"] if idx + 1 < len(f.phases) else float("inf")
    return [r for r in sorted(f.rx, key=lambda r: r["t"]) if t0 - 0.001 <= r["t"] < t1]


def rel_ack(f, r):
    return sdiff(r["ack"], f.isn)


def synacks(f):
    return [r for r in sorted(f.rx, key=lambda r: r["t"]) if r["flags"] == "SA"]


def acks_cli(f, rel):
    """A server segment acknowledges the client's relative sequence number rel."""
    return any("A" in r["flags"] and "R" not in r["flags"] and rel_ack(f, r) == rel for r in f.rx)


def cli_fin_rel(f):
    """Relative seq just after the client's (first) FIN."""
    fin = next(t for t in f.tx if "F" in t["flags"])
    return sdiff(fin["seq"], f.isn) + fin["len"] + 1


def server_data(f, phase):
    return [r for r in rx_from(f, phase) if r["data"]]


def echoed(f, phase):
    return any(r["data"] for r in rx_from(f, phase))


# ---- the one new script: an old duplicate SYN -------------------------------

def old_duplicate_syn(f):
    """RFC 793 figure 9: an old SYN arrives first; the client RSTs the SYN-ACK that acks it."""
    old = (f.isn - 100000) % MOD
    f.phase("old duplicate SYN (ISN - 100000)")
    f.syn(isn=old)
    sa = f.wait_synack()
    f.old_synack = sa
    # at once, as a real client does: the ladder sees the RST beside the SYN-ACK it refuses
    # (5 ms: the checks count a reply up to 1 ms before a phase as in it)
    f.wait(0.005)
    # <SEQ=SEG.ACK><CTL=RST>: the reset takes its number from the SYN-ACK's ack
    f.phase("RST: that SYN-ACK acks no SYN of ours", keep=True)
    f.send("R", seq=sa["ack"], advance=False)
    f.wait(0.3)
    # the connection the client really opens, on the same 4-tuple
    f.srv_isn = f.rcv_nxt = None
    f.snd_nxt = f.isn
    f.phase("SYN")
    f.syn()
    f.wait_synack()
    f.wait(0.1)
    f.step("ACK", "A", wait=0.2)
    sc.echo_round(f)


def cumulative(f):
    """data-cumulative-ack of the conformance suite with the client's ACK at once (50 ms):
    there the ACK waits long enough for a tail-loss probe, which is not this lesson"""
    f.handshake()
    sc.echo_round(f, 20)
    f.phase("3 x 10 bytes back to back")
    ack, tsval = f.rcv_nxt, f.next_tsval()
    for _ in range(3):
        off = sdiff(f.snd_nxt, f.isn)
        f.send("PA", sc.payload(off, 10), ack=ack, tsval=tsval)
        f.wait(0.02)    # each read echoed on its own, even on a busy machine
    f.wait(0.03)
    f.step("one ACK for the whole echo", wait=0.2)


def client_close(f):
    """client-close of the conformance suite without its stray FIN after the close (a RST
    from a closed port is rst-exact's lesson, not this one's)"""
    f.handshake()
    sc.echo_round(f)
    f.step("FIN", "FA", wait=0.3)
    f.step("ACK the server's FIN", wait=0.3)


def simultaneous(f):
    """simultaneous-close of the conformance suite with the client's FIN sent the moment the
    server's arrives (there 150 ms later): the two cross as on a real wire, and the server
    gets the client's ACK before its FIN's retransmission timer runs out"""
    f.handshake(settle=0)
    if f.wait_for(lambda r: "F" in r["flags"], 1.0) is None:
        raise NoReply("no FIN from the server")
    f.step("FIN, server's FIN not acked", "FA", ack=f.rcv_nxt - 1, wait=0.05)
    f.step("ACK the server's FIN", wait=0.3)


def three_way(f):
    f.handshake()
    f.wait(0.2)


# ---- the table ----------------------------------------------------------------

class Case:
    def __init__(self, name, play, app, desc, notes, checks):
        self.name, self.play, self.app, self.desc = name, play, app, desc
        self.notes, self.checks = notes, checks


def chk_lost_synack(f, server):
    sa = synacks(f)
    if server == "guard":
        return [("one SYN-ACK (a SYN cookie: guard keeps no state to retransmit)", len(sa) == 1)]
    return [("the SYN-ACK was retransmitted", len(sa) >= 2),
            ("the retransmission is the same segment (same ISN)",
             len(sa) >= 2 and sa[0]["seq"] == sa[1]["seq"]),
            ("the retransmission came after the RTO (~1 s)",
             len(sa) >= 2 and sa[1]["t"] - sa[0]["t"] >= 0.8),
            ("the data after the late ACK is echoed", echoed(f, "data"))]


def chk_old_dup(f, server):
    old = getattr(f, "old_synack", None)
    new = [r for r in rx_from(f, "SYN") if r["flags"] == "SA"] if f.phases else []
    return [("the old SYN got a SYN-ACK acking its ISN + 1",
             old is not None and sdiff(old["ack"], f.isn) == -100000 + 1),
            ("no SYN-ACK for the old SYN after the RST",
             not any(r["flags"] == "SA" and r["ack"] == old["ack"]
                     for r in rx_from(f, "RST")) if old else False),
            ("the real SYN got a SYN-ACK of its own (ack = ISN + 1): no connection was left "
             "from the old SYN", any(rel_ack(f, r) == 1 for r in new)),
            ("the real connection carries data", echoed(f, "data"))]


def chk_cum_ack(f, server):
    burst = [r for r in rx_from(f, "3 x 10 bytes") if r["data"]]
    one = [t for t in f.tx if t["flags"] == "A" and not t["len"] and t["ack"] is not None
           and f.srv_isn is not None and sdiff(t["ack"], f.srv_isn) == 51]
    return [("20 bytes at seq 1 are acked with 21", acks_cli(f, 21)),
            ("the three segments are acked up to 51", acks_cli(f, 51)),
            (f"one client ACK (51) acknowledges all {len({r['seq'] for r in burst})} echo segments",
             len(one) == 1)]


def chk_client_close(f, server):
    fin = cli_fin_rel(f)
    return [("the server acks the client's FIN (ack = FIN's seq + 1)", acks_cli(f, fin)),
            ("the server sends its own FIN", any("F" in r["flags"] for r in f.rx))]


def chk_server_close(f, server):
    first = rx_in(f, "ACK")   # the handshake's ACK phase: the server's FIN comes at once
    return [("the server sends FIN before the client closes",
             any("F" in r["flags"] for r in first)),
            ("the server acks the client's FIN", acks_cli(f, cli_fin_rel(f)))]


def chk_simultaneous(f, server):
    fin = cli_fin_rel(f)
    ph = rx_in(f, "FIN")
    return [("the server's FIN came before the client's", any("F" in r["flags"] for r in rx_in(f, "ACK"))),
            ("the crossing FIN is acked (CLOSING, then TIME_WAIT)",
             any("A" in r["flags"] and rel_ack(f, r) == fin for r in ph))]


def chk_half_close(f, server):
    fin = cli_fin_rel(f)
    after = [r for r in f.rx if r["data"]]
    return [("the server acks the client's FIN", acks_cli(f, fin)),
            ("the server keeps sending after the client's FIN", len(after) >= 2),
            ("the server's FIN comes after its last data",
             any("F" in r["flags"] for r in f.rx))]


def chk_time_wait(f, server):
    fin = cli_fin_rel(f)
    again = rx_in(f, "same FIN again")
    return [("the server's FIN and the client's FIN are acked", acks_cli(f, fin)),
            ("the late FIN is acked again from TIME_WAIT",
             any(r["flags"] == "A" and rel_ack(f, r) == fin for r in again))]


def chk_rst_exact(f, server):
    return [("nothing answers the RST", not rx_in(f, "RST")),
            ("the next segment meets no connection: RST",
             any("R" in r["flags"] for r in rx_in(f, "data")))]


def chk_rst_in(f, server):
    ch = rx_in(f, "RST")
    return [("a challenge ACK answers the RST", any(r["flags"] == "A" for r in ch)),
            ("the connection survives (data echoed)", echoed(f, "data"))]


def chk_rst_out(f, server):
    return [("nothing answers either RST", not rx_in(f, "RST, seq = RCV.NXT + 2^30")
             and not rx_in(f, "RST, seq = RCV.NXT - 1")),
            ("the connection survives (data echoed)", echoed(f, "data"))]


def chk_handshake(f, server):
    sa = synacks(f)
    return [("one SYN-ACK, acking ISN + 1 (the SYN took one number)",
             len(sa) == 1 and rel_ack(f, sa[0]) == 1)]


MSL = "2MSL: Linux holds TIME_WAIT for 60 s whatever the MSL (serve: 2 x --msl)"

CASES = [
    Case("three-way-handshake", three_way, "echo", "SYN, SYN-ACK, ACK",
         ["SYN consumes one sequence number: the SYN-ACK acks the client's ISN + 1 (relative 1), "
          "the client's ACK acks the server's ISN + 1",
          "each side picks its own ISN; the ladder counts from each (shakeoff trace --absolute: raw)",
          "options (MSS, SACK_PERM, WS) travel only on SYN and SYN-ACK; a SYN's window is never "
          "scaled",
          "server LISTEN -> SYN_RCVD -> ESTABLISHED on the third segment; "
          "client SYN_SENT -> ESTABLISHED on the SYN-ACK"],
         chk_handshake),
    Case("lost-synack", conf_fn("lost-synack"), "echo",
         "the ACK for the SYN-ACK never comes: the SYN-ACK is sent again",
         ["no ACK: the server sends the same SYN-ACK (same ISN) again after its RTO, 1 s on "
          "Linux, then 2, 4, 8 ... s, tcp_synack_retries times",
          "until the ACK the server holds the half-open request in SYN_RCVD: a SYN flood fills "
          "exactly that queue",
          "a SYN cookie (guard, serve --syn-mode cookie) keeps no state, so nothing is "
          "retransmitted"],
         chk_lost_synack),
    Case("old-duplicate-syn", old_duplicate_syn, "echo",
         "an old SYN arrives first; the client RSTs the unexpected SYN-ACK; then the real handshake",
         ["why three steps: the server cannot tell an old duplicate SYN from a new one, so the "
          "client must confirm the ISN it is acked for",
          "the SYN-ACK acks old ISN + 1, which this client never sent: it answers RST with "
          "seq = that ack (RFC 793 figure 9)",
          "the RST takes the server back to LISTEN: no connection is created from the old SYN",
          "the real SYN then gets its own SYN-ACK (another ISN) and the handshake completes"],
         chk_old_dup),
    Case("data-cumulative-ack", cumulative, "echo",
         "20 bytes then 3 x 10 bytes back to back, echoed, acked cumulatively",
         ["ack = seq + len: 20 bytes at seq 1 are acked with 21, then 31, 41, 51",
          "an ACK acknowledges every byte before it: the client's one ACK of 51 covers the "
          "server's three echo segments (21, 31, 41), cumulatively",
          "the echo carries the server's ACK (piggybacking); a lone ACK may wait for the "
          "delayed-ACK timer",
          "a pure ACK (len 0) consumes no sequence number: the client's seq stays at 51"],
         chk_cum_ack),
    Case("client-close", client_close, "echo",
         "the client closes first: FIN, ACK, FIN, ACK",
         ["FIN consumes one sequence number: its ACK is FIN's seq + 1",
          "client FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT; server CLOSE_WAIT -> LAST_ACK -> CLOSED",
          "the side that closes first waits in TIME_WAIT for " + MSL,
          "the echo server's ACK and FIN may travel in one segment"],
         chk_client_close),
    Case("server-close", conf_fn("server-close-first"), "closefirst",
         "the server closes right after accepting",
         ["server FIN_WAIT_1 -> FIN_WAIT_2 (the client's ACK) -> TIME_WAIT (the client's FIN)",
          "client CLOSE_WAIT -> LAST_ACK -> CLOSED",
          "the server closed first, so the server holds TIME_WAIT for " + MSL +
          ": a busy server that closes first collects TIME_WAIT sockets"],
         chk_server_close),
    Case("simultaneous-close", simultaneous, "closefirst",
         "both FINs cross on the wire",
         ["each side sends FIN before it saw the other's: FIN_WAIT_1 -> CLOSING -> TIME_WAIT",
          "the crossing FIN acks only the SYN; each FIN is acked on its own (seq + 1)",
          "both sides end in TIME_WAIT"],
         chk_simultaneous),
    Case("half-close", conf_fn("half-close-server-sending"), "echo",
         "the client sends 1400 bytes and FIN; the server goes on sending, then closes",
         ["FIN says 'no more data from me' (shutdown(SHUT_WR)), not 'stop sending'",
          "the server, in CLOSE_WAIT, keeps sending: 500 bytes per client window here",
          "Linux enters LAST_ACK as soon as the app close()s; its FIN waits behind the unsent "
          "bytes, so the ladder shows LAST_ACK while data still flows",
          "the server's FIN comes after its last byte; it acks the client's FIN with "
          "1 + 1400 + 1 = 1402"],
         chk_half_close),
    Case("time-wait-late-fin", conf_fn("fin-retransmitted-time-wait"), "closefirst",
         "the client's FIN comes again while the server is in TIME_WAIT",
         ["TIME_WAIT is there for this: had the last ACK been lost, the peer sends its FIN again, "
          "and only a side that still remembers the connection can ACK it (not RST it)",
          "the late FIN is acked again with the same numbers",
          MSL + "; it also keeps this 4-tuple's old segments from a new connection"],
         chk_time_wait),
    Case("rst-exact", conf_fn("rst-exact"), "echo",
         "a RST exactly at RCV.NXT resets the connection",
         ["a RST is acceptable only with seq = RCV.NXT exactly (RFC 5961): it is not answered",
          "the connection is gone: the next segment meets no socket and gets a RST at its ack"],
         chk_rst_exact),
    Case("rst-in-window", conf_fn("rst-in-window"), "echo",
         "a RST inside the window but not at RCV.NXT",
         ["in the window but not at RCV.NXT: a challenge ACK (RFC 5961 3.2), the connection "
          "stays",
          "a real peer that did reset answers the challenge ACK with an exact RST; a blind "
          "attacker cannot see it"],
         chk_rst_in),
    Case("rst-outside-window", conf_fn("rst-outside-window"), "echo",
         "RSTs beyond the window and left of it",
         ["a RST outside the receive window is dropped silently: no answer at all",
          "the connection carries on"],
         chk_rst_out),
]


# ---- output ---------------------------------------------------------------------

def json_ts():
    return round(time.time(), 3)


def cmd_list(a):
    for c in CASES:
        print(f"{c.name}\t{c.app}\t{c.desc}")
    return 0


def cmd_play(a):
    case = next((c for c in CASES if c.name == a.name), None)
    if case is None:
        print(f"shakeoff lab scenario: unknown scenario '{a.name}' (shakeoff lab scenario list)",
              file=sys.stderr)
        return 2
    load_engine()
    wire = Wire(a.iface, a.dst_mac, a.cli4, a.srv4, "fd99::11", "fd99::2")
    f = wire.flow(case.name, 4, a.port, random.randrange(20000, 60000))
    try:
        case.play(f)
    except NoReply as e:
        f.error = str(e)
    except OSError as e:    # a send refused (ENOBUFS on a loaded machine): the checks say so
        f.error = f"script error: {e!r}"
    f.wait(0.1)
    wire.close()
    try:
        checks = case.checks(f, a.server)
    except (StopIteration, KeyError, IndexError) as e:
        checks = [(f"the script's phases are incomplete: {e!r}", False)]
    if f.error:
        checks.append((f"the script ran to its end ({f.error})", False))
    ok = all(c[1] for c in checks)
    if a.json:
        print(json.dumps({"ts": json_ts(), "event": "notes", "scenario": case.name,
                          "server": a.server, "ok": ok, "notes": case.notes,
                          "checks": [{"what": w, "ok": bool(v)} for w, v in checks]},
                         separators=(",", ":")))
    else:
        print(f"{case.name}: {case.desc}")
        print("What to notice:")
        for n in case.notes:
            print(f"  - {n}")
        print("Checked:")
        for w, v in checks:
            print(f"  {'ok  ' if v else 'FAIL'} {w}")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list")
    p = sub.add_parser("play")
    p.add_argument("name")
    p.add_argument("--dst-mac", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--server", default="kernel")
    p.add_argument("--iface", default="cli0")
    p.add_argument("--cli4", default="10.99.0.11")
    p.add_argument("--srv4", default="10.99.0.2")
    p.add_argument("--json", action="store_true")
    a = ap.parse_args()
    return {"list": cmd_list, "play": cmd_play}[a.cmd](a)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:   # Ctrl-C: shakeoff lab scenario says so and tears down
        sys.exit(130)

# SPDX-License-Identifier: GPL-2.0
"""The scenarios: each plays a script from the client side, one phase per
client action; everything the server sends is recorded against the phase
it falls in (see trace.py for how phases are compared).

Applications (the server side of a scenario):
  echo        sends back every byte it receives; closes (FIN) once the
              client's FIN arrived and everything was sent back. Linux:
              lab/scenarios/ref_server.py (TCP_NODELAY: each read is
              written back at once, as shakeoff serve's echo does).
              shakeoff serve --app echo.
  closefirst  closes (FIN) right after accepting, before the client sent
              anything. Linux: ref_server.py. shakeoff serve has no such app
              (echo and discard both close only after the client's FIN), so
              the scenarios that need a server closing first are skipped there.

Phase waits are chosen so that what the server does at once, a delayed ACK
(<= 200 ms) and the ACK-coalescing tolerance (trace.TOL) fit inside one
phase, and so that the client ACKs echoed data before an RTO (Linux: ~200 ms
after the handshake's RTT sample) in scenarios that are not about
retransmission.
"""
from wire import payload, sdiff

SCENARIOS = []


class Scenario:
    def __init__(self, name, fn, app, fam, desc):
        self.name, self.fn, self.app, self.fam, self.desc = name, fn, app, fam, desc


def scenario(name, app="echo", fam=4):
    def deco(fn):
        SCENARIOS.append(Scenario(name, fn, app, fam, (fn.__doc__ or "").strip()))
        return fn
    return deco


def echo_round(f, n=5, name=None):
    """n bytes out, the echo back, then the client ACKs it."""
    f.data(n, name=name, wait=0.3)
    f.step("ACK the echo", wait=0.2)


# ---- handshake -----------------------------------------------------------

@scenario("handshake-options")
def _(f):
    """SYN with MSS 1460, SACK_PERM, TS, WS 7 (Linux's own): SYN-ACK options; 5 bytes echoed"""
    f.handshake("full")
    echo_round(f)


@scenario("handshake-no-options")
def _(f):
    """SYN without options: SYN-ACK carries MSS only, nothing carries TS; 5 bytes echoed"""
    f.handshake("none")
    echo_round(f)


@scenario("handshake-ts-only")
def _(f):
    """SYN with MSS and TS only (no SACK_PERM, no WS): the SYN-ACK offers nothing more"""
    f.handshake("ts")
    echo_round(f)


@scenario("duplicate-syn")
def _(f):
    """the SYN again after the SYN-ACK: SYN-ACK again (same ISS); a third within 500 ms (rate limit)"""
    f.phase("SYN")
    f.syn()
    f.wait_synack()
    f.wait(0.1)
    f.phase("same SYN again", keep=True)
    f.syn()
    f.wait(0.15)
    f.phase("same SYN a third time (150 ms later)", keep=True)
    f.syn()
    f.wait(0.3)
    f.step("ACK", wait=0.2)
    echo_round(f)


@scenario("lost-synack")
def _(f):
    """no ACK for the SYN-ACK: it is retransmitted (Linux and state mode: after 1 s)"""
    f.phase("SYN")
    f.syn()
    f.wait_synack()
    f.wait(0.1)
    f.phase("no ACK for 1.5 s", keep=True)
    f.wait(1.5)
    f.step("ACK", wait=0.2)
    echo_round(f)


@scenario("bad-ack-in-handshake")
def _(f):
    """ACK with the wrong ack number in SYN_RCVD: RST at that ack, the handshake survives"""
    f.phase("SYN")
    f.syn()
    f.wait_synack()
    f.wait(0.1)
    f.step("ACK with ack = ISS + 1001", ack=f.srv_isn + 1001, wait=0.3)
    f.step("ACK", wait=0.2)
    echo_round(f)


# ---- data ----------------------------------------------------------------

@scenario("data-cumulative-ack")
def _(f):
    """20 bytes acked with 21 and echoed; then 3 x 10 bytes back to back, acked cumulatively"""
    f.handshake()
    echo_round(f, 20)
    f.phase("3 x 10 bytes back to back")
    # one burst as a kernel client sends it: same ack, same TSval (one clock
    # tick), so what the server echoes does not depend on how its reads fall
    ack, tsval = f.rcv_nxt, f.next_tsval()
    for _ in range(3):
        off = sdiff(f.snd_nxt, f.isn)
        f.send("PA", payload(off, 10), ack=ack, tsval=tsval)
    f.wait(0.3)
    f.step("ACK the echo", wait=0.2)


@scenario("out-of-order-data")
def _(f):
    """bytes 11-20 before 1-10: duplicate ACK with a SACK block, then one ACK for all and the echo"""
    f.handshake()
    base = f.snd_nxt
    f.step("bytes 11-20 (1-10 missing)", "PA", payload(11, 10), seq=base + 10, wait=0.3)
    f.step("bytes 1-10 (fills the hole)", "PA", payload(1, 10), seq=base, wait=0.3)
    f.snd_nxt = base + 20
    f.step("ACK the echo", wait=0.2)


@scenario("duplicate-data")
def _(f):
    """bytes 1-10 sent twice: the second gets an immediate ACK with a D-SACK block, no echo"""
    f.handshake()
    echo_round(f, 10)
    f.step("bytes 1-10 again", "PA", payload(1, 10), seq=f.isn + 1, wait=0.3)


@scenario("lost-data")
def _(f):
    """the client withholds the ACK of the echo: the server retransmits it"""
    f.handshake()
    f.data(10, wait=0.2)
    f.phase("ACK withheld for 1.5 s", keep=True)
    f.wait(1.5)
    f.step("ACK the echo", wait=0.3)


@scenario("zero-window")
def _(f):
    """data with window 0: ACKed, the echo held back (window probes) until the window opens"""
    f.handshake()
    f.data(10, name="data 10B, window 0", win=0, wait=0.3)
    f.phase("window stays 0 for 1.5 s", keep=True)
    f.wait(1.5)
    f.step("ACK, window opens", wait=0.3)
    f.step("ACK the echo", wait=0.2)


# ---- close ---------------------------------------------------------------

@scenario("client-close")
def _(f):
    """client FIN: server ACKs it and closes too (LAST_ACK); after the last ACK the flow is gone"""
    f.handshake()
    echo_round(f)
    f.step("FIN", "FA", wait=0.3)
    f.step("ACK the server's FIN", wait=0.3)
    # not a plain ACK: with the kernel's tcp_syncookies=2 an ACK whose seq and
    # ack moved by the same amount since the handshake (an echo does that)
    # passes as a SYN cookie and silently opens a connection
    f.step("the FIN again (no connection left)", "FA", seq=f.snd_nxt - 1, wait=0.3)


@scenario("fin-retransmitted-last-ack")
def _(f):
    """client FIN, then the same FIN again as if the server's ACK and FIN were lost (LAST_ACK)"""
    f.handshake()
    f.step("FIN", "FA", wait=0.3)
    fin = f.snd_nxt - 1
    f.step("same FIN again (server's FIN unacked)", "FA", seq=fin, ack=f.rcv_nxt - 1, wait=0.3)
    f.step("ACK the server's FIN", wait=0.3)


@scenario("half-close-server-sending")
def _(f):
    """1400 bytes and FIN in one segment, client window 500 (WS 0): the echo goes on after the client's FIN, 500 bytes per ACK, then the server's FIN"""
    f.handshake("ws0", win=500, ack_win=500)
    # ACK before an RTO could fire (Linux: ~200 ms): retransmissions are not this scenario's subject
    f.data(1400, name="1400 bytes + FIN", flags="FPA", wait=0.12)
    for i in range(1, 4):
        f.step(f"ACK what arrived ({i})", wait=0.12 if i < 3 else 0.2)


@scenario("server-close-first", app="closefirst")
def _(f):
    """server FIN right after the handshake (FIN_WAIT_1), client ACKs it (FIN_WAIT_2), client FIN (TIME_WAIT)"""
    f.handshake(settle=0.15)
    f.step("ACK the server's FIN", wait=0.2)
    f.step("FIN", "FA", wait=0.3)


@scenario("fin-retransmitted-time-wait", app="closefirst")
def _(f):
    """as server-close-first, then the client's FIN again: ACKed again in TIME_WAIT"""
    f.handshake(settle=0.15)
    f.step("ACK the server's FIN", wait=0.2)
    f.step("FIN", "FA", wait=0.3)
    f.step("same FIN again", "FA", seq=f.snd_nxt - 1, wait=0.3)


@scenario("simultaneous-close", app="closefirst")
def _(f):
    """server FIN; the client's FIN crosses it (acks only the SYN): CLOSING, ACK; then the client ACKs the server's FIN"""
    f.handshake(settle=0.15)
    f.step("FIN, server's FIN not acked", "FA", ack=f.rcv_nxt - 1, wait=0.3)
    f.step("ACK the server's FIN", wait=0.3)


# ---- RST, SYN and strays (RFC 5961) ----------------------------------------

@scenario("rst-exact")
def _(f):
    """RST at RCV.NXT closes the flow silently; the next segment gets a RST"""
    f.handshake()
    f.step("RST, seq = RCV.NXT", "R", wait=0.3)
    f.data(5, name="data (no connection left)", wait=0.3)


@scenario("rst-in-window")
def _(f):
    """RST inside the window but not at RCV.NXT: challenge ACK, the flow survives"""
    f.handshake()
    f.step("RST, seq = RCV.NXT + 100", "R", seq=f.snd_nxt + 100, wait=0.3)
    echo_round(f, name="data (connection alive)")


@scenario("rst-outside-window")
def _(f):
    """RST beyond the window and left of it: dropped silently, the flow survives"""
    f.handshake()
    f.step("RST, seq = RCV.NXT + 2^30", "R", seq=f.snd_nxt + (1 << 30), wait=0.3)
    f.step("RST, seq = RCV.NXT - 1", "R", seq=f.snd_nxt - 1, wait=0.3)
    echo_round(f, name="data (connection alive)")


@scenario("syn-on-established")
def _(f):
    """a SYN (the old ISN, full options) on an established flow: challenge ACK, the flow survives"""
    f.handshake()
    echo_round(f)
    f.phase("SYN with the old ISN")
    opts = [(k, (f.next_tsval(), 0)) if k == "Timestamp" else (k, v) for k, v in f.syn_opts("full")]
    f.send("S", seq=f.isn, opts=opts, win=64240)
    f.wait(0.3)
    f.wait(0.25)  # the next challenge-worthy segment must not hit the 500 ms rate limit
    echo_round(f, name="data (connection alive)")


@scenario("syn-on-established-ts-ahead")
def _(f):
    """a SYN whose TSval is 2^30 ahead on an established flow: challenge ACK echoing TS.Recent, which must not take the SYN's TSval (PAWS would then drop the client's next segments)"""
    f.handshake()
    echo_round(f)
    f.phase("SYN, TSval 2^30 ahead")
    ahead = (f.ts_base + 100 * f.ts_k + (1 << 30)) % (1 << 32)
    f.send("S", seq=f.isn, win=64240, opts=[("MSS", f.mss), ("SAckOK", b""),
                                            ("Timestamp", (ahead, 0)), ("NOP", None), ("WScale", 7)])
    f.wait(0.55)  # past the 500 ms challenge-ACK rate limit
    echo_round(f, name="data, TSval as before (connection alive, PAWS passes)")


@scenario("no-flow")
def _(f):
    """segments for a 4-tuple without a flow: ACK and data get a RST at their ack; a bare FIN and a RST get nothing"""
    no_flow(f)


def no_flow(f):
    f.rcv_nxt = f.isn ^ 0x5A5A5A5A      # any ack will do; the RST's seq is measured from it
    f.srv_isn = (f.rcv_nxt - 1) % (1 << 32)
    f.step("ACK, no connection", "A", wait=0.3)
    f.data(10, name="data, no connection", wait=0.3)
    f.step("FIN without ACK, no connection", "F", wait=0.3)
    f.step("RST, no connection", "R", wait=0.3)


# ---- IPv6 ----------------------------------------------------------------

@scenario("v6-data-close", fam=6)
def _(f):
    """IPv6: handshake with options, 10 bytes echoed, client close"""
    f.handshake()
    echo_round(f, 10)
    f.step("FIN", "FA", wait=0.3)
    f.step("ACK the server's FIN", wait=0.2)


@scenario("v6-no-flow", fam=6)
def _(f):
    """IPv6: segments for a 4-tuple without a flow"""
    no_flow(f)

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""RFC 5961 blind injection against an echo server, into a live kernel connection.

    blind_inject.py --iface I --dst-mac M --dst IP --port P [--wait S]

A kernel socket connects and echoes; a capture on I follows its sequence
numbers. Between echoes, scapy injects what an off-path attacker who guessed
the 4-tuple would send, with the client's own addresses:
  rst_in_window   RST, seq inside the server's receive window but not RCV.NXT
                  -> one challenge ACK (seq SND.NXT, ack RCV.NXT), connection lives
  rst_below       RST, seq 1000 below RCV.NXT               -> nothing, lives
  rst_beyond      RST, seq 1000 past the right window edge   -> nothing, lives
  syn             SYN (no ACK) on the established connection -> challenge ACK, lives
  data_ack_new    data at RCV.NXT whose ACK is 2^30 ahead of SND.NXT
                  -> dropped (an ACK for RCV.NXT at most), never echoed
  data_ack_old    data at RCV.NXT whose ACK is 2^30 behind SND.UNA
                  -> dropped (at most a challenge ACK), never echoed
  rst_exact       control: RST at exactly RCV.NXT -> the server drops the
                  connection, so the numbers above were the live ones
After each step but the control, the kernel socket echoes again and must get
exactly its own bytes back. Prints one JSON object {"steps": [...], "ok": bool};
each step: name, what was sent, the server's replies, whether it behaved.
"""
import argparse
import sys
import time

from live_flow import Flow


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", required=True)
    ap.add_argument("--dst-mac", dest="dst_mac", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--port", type=int, required=True)
    # longer than serve's and the engine's challenge-ACK gap (500 ms): no step is rate-limited
    ap.add_argument("--wait", type=float, default=0.7)
    a = ap.parse_args()

    f = Flow(a)
    steps, ok_all = [], True
    ok, err = f.echo("first")
    steps.append({"name": "first_echo", "ok": ok, "error": err})
    ok_all &= ok
    time.sleep(0.3)

    def step(name, flags, seq_fn, ack_fn=None, data=b"", with_ts=False, want=None, echo=True):
        nonlocal ok_all
        c_nxt, s_nxt, wnd, ts = f.state()
        seq = seq_fn(c_nxt, wnd) & 0xFFFFFFFF
        ack = ack_fn(s_nxt) & 0xFFFFFFFF if ack_fn else 0
        replies = f.inject(flags, seq, ack, data, ts if with_ts else None)
        good = want(replies, c_nxt, s_nxt)
        rec = {"name": name, "sent": {"flags": flags, "seq": seq, "ack": ack, "len": len(data)},
               "client_nxt": c_nxt, "server_nxt": s_nxt, "server_wnd": wnd, "replies": replies,
               "replies_ok": good}
        if echo:
            rec["echo_ok"], rec["echo_error"] = f.echo(name)
            good = good and rec["echo_ok"]
        rec["ok"] = good
        ok_all &= good
        steps.append(rec)
        time.sleep(0.1)

    def challenge(r, c_nxt, s_nxt):
        return len(r) == 1 and r[0]["flags"] == "A" and r[0]["ack"] == c_nxt and r[0]["seq"] == s_nxt

    def silent(r, c_nxt, s_nxt):
        return r == []

    def no_data_taken(r, c_nxt, s_nxt):
        # at most ACKs for RCV.NXT as it was: nothing acknowledges the injected bytes
        return all(x["flags"] == "A" and x["ack"] == c_nxt and x["len"] == 0 for x in r)

    step("rst_in_window", "R", lambda c, w: c + min(1000, w // 2), want=challenge)
    step("rst_below", "R", lambda c, w: c - 1000, want=silent)
    step("rst_beyond", "R", lambda c, w: c + w + 1000, want=silent)
    step("syn", "S", lambda c, w: c + 5000, want=challenge)
    step("data_ack_new", "PA", lambda c, w: c, lambda s: s + (1 << 30), b"INJECTED-ACK-NEW" * 4,
         True, no_data_taken)
    step("data_ack_old", "PA", lambda c, w: c, lambda s: s - (1 << 30), b"INJECTED-ACK-OLD" * 4,
         True, no_data_taken)
    # The control: the exact sequence number does reset (nothing comes back, the next send fails).
    step("rst_exact", "R", lambda c, w: c, want=silent, echo=False)
    ok, err = f.echo("after_rst_exact")
    steps[-1]["echo_after_reset_fails"] = not ok
    steps[-1]["echo_error"] = err
    steps[-1]["ok"] = steps[-1]["ok"] and not ok
    ok_all &= steps[-1]["ok"]
    return f.finish(steps, ok_all)


if __name__ == "__main__":
    sys.exit(main())

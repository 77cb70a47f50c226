# SPDX-License-Identifier: GPL-2.0
"""Normalising a recorded trace and comparing two of them.

A scenario's trace is what the server sent, segment by segment, each with its
capture time, attributed to the phase (client action) it arrived in. Two
traces must agree on everything except what two correct TCPs may do
differently; this is all the normalisation there is:

  * seq is relative to the server's ISS, ack and SACK blocks to the client's
    ISS (no-flow scenarios: to the ack the client sent, minus one);
  * TSval values are not compared; instead each trace is checked for TSvals
    that go backwards (marked 'tsval-back', which is then a difference).
    TSecr is compared exactly: client TSvals are scripted (c0, c1, ... = the
    client's 1st, 2nd ... segment), so it names the segment being echoed;
  * window values are not compared (a zero window is: 'w0'); neither is the
    WS shift (its presence is), nor the order of options;
  * ACK timing, tolerance TOL (250 ms, above Linux's 200 ms delayed-ACK
    ceiling, below RFC 9293's 500 ms): a pure ACK that advances the ack is
    left out when a later segment of the same phase, sent within TOL,
    acknowledges as much (delayed / piggybacked ACKs); every remaining
    segment that is not timer-driven must come within TOL of its reference
    twin;
  * how new data is cut into segments: contiguous new data (and a FIN right
    after it) in one phase is merged into one run before comparing (flags
    OR-ed, ack and TSecr of its last segment). A segment longer than the
    client's MSS is marked 'oversize';
  * timers: retransmissions (a segment whose sequence space was all sent
    before) and window probes (no data, seq below SND.NXT) depend on RTO and
    persist timers that differ legitimately (Linux: RTO >= 200 ms; RFC 6298:
    >= 1 s). They are compared only in phases that are about them (keep=True:
    lost SYN-ACK, lost data, zero window, duplicate SYN), where consecutive
    identical ones count as one and their timing is not compared; elsewhere
    they are left out.

Everything else is compared: flags (PSH too), presence and order of
segments, relative seq/ack, which options, MSS value, SACK blocks, TSecr,
payload bytes.
"""
import difflib
import zlib

MOD = 1 << 32
TOL = 0.25


def sdiff(a, b):
    return ((a - b + (1 << 31)) % MOD) - (1 << 31)


def ts_name(sc, v):
    """A TSval the client sent by its name: cK is the script's K-th TSval,
    c+D one it made up (D above the first); anything else (never sent) is ?V."""
    if v == 0:
        return "0"
    d = (v - sc["ts_base"]) % MOD
    if d % 100 == 0 and d // 100 < 10000:
        return f"c{d // 100}"
    if any(c["tsval"] == v for c in sc["tx"]):
        return f"c+{d}"
    return f"?{v}"


_ecr = ts_name


def _phase_of(phases, t):
    idx = -1
    for i, p in enumerate(phases):
        if t >= p["t0"]:
            idx = i
    return idx


def segments(sc):
    """Server segments of a scenario, with relative numbers and markers."""
    out = []
    srv_isn = sc["srv_isn"]
    isn = sc["isn"]
    max_end = None      # relative end of everything sent so far
    max_ack = None
    prev_tsval = None
    mss_lim = sc["mss"] - (12 if sc["ts_on"] else 0)
    shift = sc.get("ws") or 0
    tx = sorted(sc["tx"], key=lambda c: c["t"])
    for r in sorted(sc["rx"], key=lambda r: r["t"]):
        before = [c for c in tx if c["t"] < r["t"]]
        sent_ts = {c["tsval"] for c in before if c["tsval"] is not None}
        # the client's window as it last advertised it: [ack, edge)
        last = next((c for c in reversed(before) if c["ack"] is not None and "R" not in c["flags"]), None)
        cack = edge = None
        if last is not None and srv_isn is not None:
            cack = sdiff(last["ack"], srv_isn)
            edge = cack + (last["win"] << shift)
        fl = r["flags"]
        data = bytes.fromhex(r["data"])
        base = srv_isn if srv_isn is not None else r["seq"]
        seq = sdiff(r["seq"], base)
        ack = sdiff(r["ack"], isn) if "A" in fl else None
        occ = len(data) + ("S" in fl) + ("F" in fl)
        opts = {}
        for k, v in r["opts"]:
            opts.setdefault(k, v)
        marks = []
        # window probes, either kind: Linux's (no data, seq below SND.NXT) or
        # RFC 9293's (data into a zero window, which the client does not take)
        probe = ("R" not in fl and not set("SF") & set(fl)
                 and ((occ == 0 and max_end is not None and seq < max_end)
                      or (len(data) > 0 and edge is not None and edge == cack and seq >= edge)))
        repeat = (not probe and occ > 0 and "R" not in fl and max_end is not None
                  and seq + occ <= max_end)
        if repeat:
            marks.append("retx")
        if edge is not None and not probe and seq + len(data) > edge and len(data):
            marks.append("beyond-window")
        if "Timestamp" in opts:
            tsval = opts["Timestamp"][0]
            if prev_tsval is not None and sdiff(tsval, prev_tsval) < 0:
                marks.append("tsval-back")
            prev_tsval = tsval
        if len(data) > mss_lim:
            marks.append("oversize")
        if r["win"] == 0 and "R" not in fl:
            marks.append("w0")
        adv = ack is not None and (max_ack is None or ack > max_ack)
        if occ and "R" not in fl and not probe:
            max_end = seq + occ if max_end is None else max(max_end, seq + occ)
        if ack is not None:
            max_ack = ack if max_ack is None else max(max_ack, ack)
        sack = []
        if "SAck" in opts:
            v = opts["SAck"]
            sack = [(sdiff(v[i], isn), sdiff(v[i + 1], isn)) for i in range(0, len(v) - 1, 2)]
        ph = _phase_of(sc["phases"], r["t"])
        ecr = ecr_ok = None
        if "Timestamp" in opts:
            ecr = _ecr(sc, opts["Timestamp"][1])
            ecr_ok = opts["Timestamp"][1] in sent_ts
        out.append({"phase": ph, "t": r["t"] - (sc["phases"][ph]["t0"] if ph >= 0 else r["t"]),
                    "flags": fl, "seq": seq, "ack": ack, "len": len(data), "data": data,
                    "opts": opts, "sack": sack, "marks": marks, "timer": repeat or probe,
                    "probe": probe, "adv": adv, "n": 1, "ecr": ecr, "ecr_ok": ecr_ok,
                    "rst0": "R" in fl and r["seq"] == 0})
    return out


def _opt_str(s, sc, mask=()):
    parts = []
    o = s["opts"]
    for k in sorted(o):
        if k == "MSS":
            parts.append(f"mss={o[k]}")
        elif k == "WScale":
            parts.append("ws")
        elif k == "SAckOK":
            parts.append("sackok")
        elif k == "Timestamp":
            if "ecr" in mask:
                parts.append("ts")
            elif "valid" in mask:
                parts.append("ts(ecr=" + ("ok" if s["ecr_ok"] else f"NOT-SENT:{s['ecr']}") + ")")
            else:
                parts.append(f"ts(ecr={s['ecr']})")
        elif k == "SAck":
            parts.append("sack=" + ",".join(f"[{a},{b})" for a, b in s["sack"]))
        else:
            parts.append(str(k))
    return " ".join(parts)


def key(s, sc, mask=()):
    """What is compared of a (normalised) segment. mask: 'psh' leaves out
    PSH, 'ecr' TSecr, 'valid' shows TSecr only as a TSval the client sent or not."""
    if s["probe"]:
        # a window probe, whichever kind: only what it acknowledges and its options
        k = "probe"
        if s["ack"] is not None:
            k += f" ack={s['ack']}"
        o = _opt_str(s, sc, mask)
        return k + (f" <{o}>" if o else "")
    fl = s["flags"].replace("P", "") if "psh" in mask else s["flags"]
    k = f"{fl or '-'} seq={'abs0' if s['rst0'] else s['seq']}"
    if s["ack"] is not None:
        k += f" ack={s['ack']}"
    if s["len"]:
        d = s["data"]
        show = d[:12].decode("latin-1")
        show = "".join(c if 32 <= ord(c) < 127 else "." for c in show)
        k += f" len={s['len']} '{show}{'..' if len(d) > 12 else ''}'"
        if len(d) > 12:
            k += f" crc={zlib.crc32(d):08x}"
    o = _opt_str(s, sc, mask)
    if o:
        k += f" <{o}>"
    if s["marks"]:
        k += " [" + ",".join(s["marks"]) + "]"
    return k


def _pure_ack(s):
    return s["flags"] == "A" and s["len"] == 0 and not s["timer"] and not s["sack"]


def normalise(sc, mask=()):
    """Per phase: the list of normalised segments (dicts with 'key', 't', 'seg')."""
    segs = segments(sc)
    phases = []
    for i, p in enumerate(sc["phases"]):
        ss = [s for s in segs if s["phase"] == i]
        # timers: kept (collapsed) only where the phase is about them
        kept = []
        for s in ss:
            if s["timer"] and not p["keep"]:
                continue
            if s["timer"] and kept and kept[-1]["timer"] and key(kept[-1], sc, mask) == key(s, sc, mask):
                kept[-1]["n"] += 1
                continue
            kept.append(dict(s))
        ss = kept
        # delayed / piggybacked ACKs
        ss = [s for j, s in enumerate(ss)
              if not (_pure_ack(s) and s["adv"] and any(
                  n["ack"] is not None and n["ack"] >= s["ack"] and n["t"] - s["t"] <= TOL
                  for n in ss[j + 1:]))]
        # contiguous new data (+ FIN) as one run
        runs = []
        for s in ss:
            prev = runs[-1] if runs else None
            if (prev and not prev["timer"] and not s["timer"]
                    and (prev["len"] or "F" in prev["flags"]) and (s["len"] or "F" in s["flags"])
                    and not set("SRF") & set(prev["flags"]) and not set("SR") & set(s["flags"])
                    and s["seq"] == prev["seq"] + prev["len"]):
                fl = set(prev["flags"]) | set(s["flags"])
                prev.update(flags="".join(c for c in "SFRPAU" if c in fl), len=prev["len"] + s["len"],
                            data=prev["data"] + s["data"], ack=s["ack"], opts=s["opts"], sack=s["sack"],
                            marks=sorted(set(prev["marks"]) | set(s["marks"])))
                continue
            runs.append(s)
        phases.append({"name": p["name"], "keep": p["keep"],
                       "recs": [{"key": key(s, sc, mask), "t": s["t"], "timer": s["timer"],
                                 "n": s["n"], "seg": s} for s in runs]})
    return phases


def client_lines(sc, i):
    out = []
    for c in sc["tx"]:
        if c["phase"] != i:
            continue
        line = f"{c['flags']} seq={sdiff(c['seq'], sc['isn'])}"
        if c["ack"] is not None and sc["srv_isn"] is not None:
            line += f" ack={sdiff(c['ack'], sc['srv_isn'])}"
        if c["len"]:
            line += f" len={c['len']}"
        line += f" win={c['win']}"
        if c["tsval"] is not None:
            line += f" ts={ts_name(sc, c['tsval'])}"
        out.append(line)
    return out


def _triage(ref, cand, i, mask):
    """What a differing phase differs in, if only PSH and/or TSecr."""
    def keys(sc, m):
        n = normalise(sc, tuple(mask) + m)
        return [r["key"] for r in n[i]["recs"]] if i < len(n) else None
    for m, what in ((("psh",), "PSH only"), (("ecr",), "TSecr only"), (("psh", "ecr"), "PSH and TSecr only")):
        if keys(ref, m) == keys(cand, m):
            return f" [{what}]"
    return ""


def compare_scenario(ref, cand, ref_name="reference", cand_name="candidate", mask=()):
    """(ok, problems, lines, short): a side-by-side rendering, '!' marking
    differences; short has the differing phases only.
    mask=('valid',): TSecr need only name a TSval the client sent."""
    rn, cn = normalise(ref, mask), normalise(cand, mask)
    problems = []
    if (ref.get("error") or None) != (cand.get("error") or None):
        problems.append(f"script: {ref_name}: {ref.get('error') or 'completed'}; "
                        f"{cand_name}: {cand.get('error') or 'completed'}")
    body, short = [], []
    w = 58
    for i in range(max(len(rn), len(cn))):
        rp = rn[i] if i < len(rn) else {"name": "(missing)", "recs": []}
        cp = cn[i] if i < len(cn) else {"name": "(missing)", "recs": []}
        rk = [r["key"] for r in rp["recs"]]
        ck = [r["key"] for r in cp["recs"]]
        rows = []
        bad = rp["name"] != cp["name"]
        for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, rk, ck, autojunk=False).get_opcodes():
            if op == "equal":
                for a, b in zip(range(a0, a1), range(b0, b1)):
                    r, c = rp["recs"][a], cp["recs"][b]
                    mark = " "
                    if not r["timer"] and abs(r["t"] - c["t"]) > TOL:
                        mark = "t"
                        bad = True
                    rows.append((mark, r, c))
            else:
                bad = True
                for j in range(max(a1 - a0, b1 - b0)):
                    r = rp["recs"][a0 + j] if a0 + j < a1 else None
                    c = cp["recs"][b0 + j] if b0 + j < b1 else None
                    rows.append(("!", r, c))
        lines = [f"{'!' if bad else ' '} phase {i}: {rp['name']}"
                 + ("" if rp["name"] == cp["name"] else f" / {cp['name']}")
                 + ("  (timers compared)" if rp.get("keep") else "")]
        for line in client_lines(ref, i) if i < len(rn) else client_lines(cand, i):
            lines.append(f"      client -> {line}")

        def cell(r):
            if r is None:
                return ""
            s = f"+{r['t']:.3f} {r['key']}"
            if r["n"] > 1:
                s += f" (x{r['n']})"
            return s
        for mark, r, c in rows:
            left, right = cell(r), cell(c)
            if mark != "!":
                lines.append(f"    {mark} {left}   | {right.split(' ', 1)[0]}")
            else:
                lines.append(f"    {mark} {left:<{w}} | {right}")
        if not rows:
            lines.append("      (nothing)")
        body += lines
        if bad:
            short += lines
            problems.append(f"phase {i} ({rp['name']})" + _triage(ref, cand, i, mask))
    head = [f"  {ref_name} (left) vs {cand_name} (right); '!' differs, 't' outside the "
            f"{int(TOL * 1000)} ms timing tolerance"]
    return not problems, problems, head + body, head + short


def compare(ref, cand, only=None, mask=()):
    """Every scenario of ref against cand: {name: (status, problems, lines, short)}."""
    res = {}
    for name, rs in ref["scenarios"].items():
        if only and name not in only:
            continue
        cs = cand["scenarios"].get(name)
        if cs is None:
            res[name] = ("skip", [cand.get("skipped", {}).get(name, "not run")], [], [])
            continue
        ok, problems, lines, short = compare_scenario(rs, cs, ref["target"], cand["target"], mask)
        res[name] = ("pass" if ok else "fail", problems, lines, short)
    return res


def show(tr, name):
    sc = tr["scenarios"][name]
    lines = [f"{name} ({tr['target']})" + (f"  error: {sc['error']}" if sc.get("error") else "")]
    for i, p in enumerate(normalise(sc)):
        lines.append(f"  phase {i}: {p['name']}" + ("  (timers compared)" if p["keep"] else ""))
        for line in client_lines(sc, i):
            lines.append(f"      client -> {line}")
        for r in p["recs"]:
            lines.append(f"      +{r['t']:.3f} {r['key']}" + (f" (x{r['n']})" if r["n"] > 1 else ""))
    return lines

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""TCP conformance against a reference: scripted client segments, recorded
server replies, normalised comparison (trace.py says what is normalised).

    conformance.py list
    conformance.py run --target NAME --out TRACE.json --dst-mac MAC [--iface cli0]
                       [--apps echo=7,closefirst=13] [--only A,B] [addresses]
        Play every scenario (all at once, each on its own 4-tuple) at the
        server and record what it sends. Scenarios whose app the target does
        not offer are recorded as skipped.
    conformance.py compare REF.json CAND.json [--only A,B] [--result RES.json] [-v]
        Per scenario: pass / FAIL (with a side-by-side diff) / skip. Exit 1 if
        any scenario fails.
    conformance.py selftest REF.json
        The comparison itself: altered copies of REF that must fail, and
        copies altered only in what is normalised that must pass.
    conformance.py show TRACE.json [NAME ...]
        The normalised trace.
"""
import argparse
import copy
import json
import random
import sys
import threading
import time

import tracecmp as tr

HERE = __file__.rsplit("/", 1)[0]


def cmd_list(a):
    from scenarios import SCENARIOS
    for s in SCENARIOS:
        print(f"{s.name}\t{s.app}\tIPv{s.fam}\t{s.desc}")
    return 0


def cmd_run(a):
    from scenarios import SCENARIOS
    from wire import NoReply, Wire
    apps = dict((k, int(v)) for k, v in (x.split("=") for x in a.apps.split(",")))
    only = set(a.only.split(",")) if a.only else None
    wire = Wire(a.iface, a.dst_mac, a.cli4, a.srv4, a.cli6, a.srv6)
    out = {"target": a.target, "started": time.time(), "scenarios": {}, "skipped": {}}
    # client ports: a block of its own per recording when given, so that no
    # scenario meets a connection a previous recording left on the server
    if a.port_base:
        ports = list(range(a.port_base, a.port_base + len(SCENARIOS)))
    else:
        ports = random.sample(range(20000, 60000), len(SCENARIOS))
    flows, threads = [], []

    def play(sc, f):
        try:
            sc.fn(f)
        except NoReply as e:
            f.error = str(e)
        except Exception as e:  # a script bug: record it, fail the comparison
            f.error = f"script error: {e!r}"
        f.wait(0.1)

    for sc, port in zip(SCENARIOS, ports):
        if only and sc.name not in only:
            continue
        if sc.app not in apps:
            out["skipped"][sc.name] = f"target {a.target} has no '{sc.app}' application"
            continue
        f = wire.flow(sc.name, sc.fam, apps[sc.app], port)
        flows.append(f)
        t = threading.Thread(target=play, args=(sc, f))
        threads.append(t)
    for t in threads:
        t.start()
        time.sleep(0.02)
    for t in threads:
        t.join()
    wire.close()
    for f in flows:
        out["scenarios"][f.name] = f.trace()
    with open(a.out, "w") as fh:
        json.dump(out, fh)
    errs = [f"{f.name}: {f.error}" for f in flows if f.error]
    print(f"{a.target}: {len(flows)} scenarios recorded, {len(out['skipped'])} skipped"
          + (f"; script stopped early in {len(errs)}: " + "; ".join(errs) if errs else ""))
    return 0


def load(path):
    with open(path) as fh:
        return json.load(fh)


def cmd_compare(a):
    ref, cand = load(a.ref), load(a.cand)
    only = set(a.only.split(",")) if a.only else None
    res = tr.compare(ref, cand, only, ("valid",) if a.tsecr == "valid" else ())
    nfail = 0
    for name, (status, problems, lines, short) in res.items():
        print(f"{'ok' if status == 'pass' else status.upper()}: {name}"
              + (f": {'; '.join(problems)}" if problems else ""))
        if status == "fail" or (a.verbose and lines):
            print("\n".join(lines))
        nfail += status == "fail"
    if a.result:
        with open(a.result, "w") as fh:
            json.dump({n: {"status": s, "problems": p, "diff": "\n".join(l), "short": "\n".join(sh)}
                       for n, (s, p, l, sh) in res.items()}, fh)
    print(f"{cand['target']} vs {ref['target']}: "
          f"{sum(r[0] == 'pass' for r in res.values())} same, {nfail} different, "
          f"{sum(r[0] == 'skip' for r in res.values())} skipped")
    return 1 if nfail else 0


# ---- selftest: the comparison must catch these, and let these pass ----------

def _rx(sc, pred, nth=0):
    hits = [r for r in sorted(sc["rx"], key=lambda r: r["t"]) if pred(r)]
    if len(hits) <= nth:
        raise LookupError("no such segment")
    return hits[nth]


def _has_data(r):
    return len(r["data"]) > 0


def _opt_drop(r, kind):
    r["opts"] = [o for o in r["opts"] if o[0] != kind]


def _phase_t0(sc, name):
    return next(p["t0"] for p in sc["phases"] if p["name"].startswith(name))


def m_psh(sc):
    r = _rx(sc, _has_data)
    r["flags"] = r["flags"].replace("P", "")


def m_ack(sc):
    r = _rx(sc, _has_data)
    r["ack"] = (r["ack"] + 1) % tr.MOD


def m_sack(sc):
    _opt_drop(_rx(sc, lambda r: any(o[0] == "SAck" for o in r["opts"])), "SAck")


def m_no_rst(sc):
    sc["rx"].remove(_rx(sc, lambda r: "R" in r["flags"]))


def m_payload(sc):
    r = _rx(sc, _has_data)
    d = bytearray.fromhex(r["data"])
    d[0] ^= 0x20
    r["data"] = d.hex()


def m_no_fin(sc):
    r = _rx(sc, lambda r: "F" in r["flags"])
    r["flags"] = r["flags"].replace("F", "")


def _challenge(sc):
    t0 = _phase_t0(sc, "RST")
    return _rx(sc, lambda r: r["t"] >= t0 and r["flags"] == "A")


def m_extra_ack(sc):
    r = copy.deepcopy(_challenge(sc))
    r["t"] += 0.01
    sc["rx"].append(r)


def m_late_ack(sc, dt):
    _challenge(sc)["t"] += dt


def m_no_ts(sc):
    _opt_drop(_rx(sc, lambda r: r["flags"] == "SA"), "Timestamp")


def m_mss(sc):
    r = _rx(sc, lambda r: r["flags"] == "SA")
    r["opts"] = [["MSS", 1400] if o[0] == "MSS" else o for o in r["opts"]]


def m_no_synack_retx(sc):
    sc["rx"].remove(_rx(sc, lambda r: r["flags"] == "SA", 1))


def m_tsval_back(sc):
    sa = _rx(sc, lambda r: r["flags"] == "SA")
    r = _rx(sc, _has_data)
    r["opts"] = [["Timestamp", [sa["opts"][[o[0] for o in sa["opts"]].index("Timestamp")][1][0] - 5,
                                o[1][1]]] if o[0] == "Timestamp" else o for o in r["opts"]]


def m_windows(tr_all):
    for sc in tr_all["scenarios"].values():
        for r in sc["rx"]:
            if r["win"]:
                r["win"] = (r["win"] + 1000) & 0xFFFF


def m_iss_tsval(tr_all):
    """both ISSs and the server's TSval clock elsewhere (as another run would have them)"""
    def add(v, d):
        return (v + d) % tr.MOD
    S, C = 12345, 2 ** 31 + 99
    for sc in tr_all["scenarios"].values():
        if sc["srv_isn"] is not None:
            sc["srv_isn"] = add(sc["srv_isn"], S)
        sc["isn"] = add(sc["isn"], C)
        for c in sc["tx"]:
            c["seq"] = add(c["seq"], C)
            if c["ack"] is not None:
                c["ack"] = add(c["ack"], S)
        for r in sc["rx"]:
            if not ("R" in r["flags"] and r["seq"] == 0):
                r["seq"] = add(r["seq"], S)
            if "A" in r["flags"]:
                r["ack"] = add(r["ack"], C)
            r["opts"] = [["Timestamp", [add(o[1][0], 777777), o[1][1]]] if o[0] == "Timestamp"
                         else ["SAck", [add(v, C) for v in o[1]]] if o[0] == "SAck"
                         else o for o in r["opts"]]


def m_more_retx(sc):
    t0 = _phase_t0(sc, "ACK withheld")
    r = copy.deepcopy(_rx(sc, lambda r: r["t"] >= t0 and _has_data(r)))
    r["t"] += 0.05
    sc["rx"].append(r)


def m_split(sc):
    r = _rx(sc, _has_data)
    r2 = copy.deepcopy(r)
    n = len(r["data"]) // 4   # bytes: hex has 2 chars per byte
    r2["data"] = r["data"][2 * n:]
    r2["seq"] = (r["seq"] + n) % tr.MOD
    r2["t"] += 0.001
    r["data"] = r["data"][:2 * n]
    r["flags"] = r["flags"].replace("P", "")
    sc["rx"].append(r2)


def m_early_ack(sc):
    """the echo's ACK sent first on its own (whether or not the reference did so)"""
    r = _rx(sc, _has_data)
    sc["rx"] = [x for x in sc["rx"] if not (x["flags"] == "A" and not x["data"] and x["ack"] == r["ack"])]
    a = copy.deepcopy(r)
    t0 = max(p["t0"] for p in sc["phases"] if p["t0"] <= r["t"])
    a.update(flags="A", data="", t=(t0 + r["t"]) / 2)
    sc["rx"].append(a)


MUST_FAIL = [
    ("PSH cleared on the echo", "handshake-options", m_psh),
    ("ack of the echo off by one", "data-cumulative-ack", m_ack),
    ("SACK block missing from the duplicate ACK", "out-of-order-data", m_sack),
    ("RST to a segment for no flow missing", "no-flow", m_no_rst),
    ("one payload byte changed", "duplicate-data", m_payload),
    ("FIN flag missing from the server's close", "client-close", m_no_fin),
    ("a second challenge ACK", "rst-in-window", m_extra_ack),
    ("challenge ACK 280 ms late", "rst-in-window", lambda sc: m_late_ack(sc, 0.28)),
    ("no timestamps in the SYN-ACK", "handshake-options", m_no_ts),
    ("SYN-ACK announces MSS 1400", "handshake-options", m_mss),
    ("SYN-ACK retransmission missing", "lost-synack", m_no_synack_retx),
    ("TSval goes backwards", "data-cumulative-ack", m_tsval_back),
]
MUST_PASS = [
    ("every window value changed", None, m_windows),
    ("another ISS and TSval clock", None, m_iss_tsval),
    ("challenge ACK 100 ms later", "rst-in-window", lambda sc: m_late_ack(sc, 0.1)),
    ("one more retransmission of the echo", "lost-data", m_more_retx),
    ("echo cut into two segments", "data-cumulative-ack", m_split),
    ("a pure ACK just before the echo", "handshake-options", m_early_ack),
]


def cmd_selftest(a):
    ref = load(a.ref)
    bad = 0
    for want, table in (("fail", MUST_FAIL), ("pass", MUST_PASS)):
        for desc, name, fn in table:
            alt = copy.deepcopy(ref)
            alt["target"] = "altered"
            try:
                if name is None:
                    fn(alt)
                else:
                    fn(alt["scenarios"][name])
            except (LookupError, KeyError, StopIteration) as e:
                print(f"not ok - {desc}: cannot alter {name}: {e!r}")
                bad += 1
                continue
            res = tr.compare(ref, alt, {name} if name else None)
            failed = [n for n, r in res.items() if r[0] != "pass"]
            got = "fail" if failed else "pass"
            ok = got == want
            bad += not ok
            print(f"{'ok' if ok else 'not ok'} - {desc} ({name or 'all scenarios'}): "
                  f"comparison says {got}, want {want}")
            if want == "fail" and ok and a.verbose:
                print("\n".join(res[failed[0]][2]))
            if not ok and want == "pass":
                for n in failed:
                    print("\n".join(res[n][2]))
    print(f"selftest: {len(MUST_FAIL) + len(MUST_PASS) - bad} right, {bad} wrong")
    return 1 if bad else 0


def cmd_show(a):
    t = load(a.trace)
    for name in a.names or list(t["scenarios"]):
        print("\n".join(tr.show(t, name)))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list")
    p = sub.add_parser("run")
    p.add_argument("--target", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--iface", default="cli0")
    p.add_argument("--dst-mac", required=True)
    p.add_argument("--apps", default="echo=7,closefirst=13")
    p.add_argument("--port-base", type=int, default=0)
    p.add_argument("--only")
    p.add_argument("--cli4", default="10.99.0.11")
    p.add_argument("--srv4", default="10.99.0.2")
    p.add_argument("--cli6", default="fd99::11")
    p.add_argument("--srv6", default="fd99::2")
    p = sub.add_parser("compare")
    p.add_argument("ref")
    p.add_argument("cand")
    p.add_argument("--only")
    p.add_argument("--result")
    p.add_argument("--tsecr", choices=("exact", "valid"), default="exact",
                   help="valid: TSecr need only echo some TSval the client sent")
    p.add_argument("-v", "--verbose", action="store_true")
    p = sub.add_parser("selftest")
    p.add_argument("ref")
    p.add_argument("-v", "--verbose", action="store_true")
    p = sub.add_parser("show")
    p.add_argument("trace")
    p.add_argument("names", nargs="*")
    a = ap.parse_args()
    sys.path.insert(0, HERE)
    return {"list": cmd_list, "run": cmd_run, "compare": cmd_compare, "selftest": cmd_selftest,
            "show": cmd_show}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())

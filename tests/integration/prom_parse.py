#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Parse a /metrics answer with the Prometheus client library's own parser.

    prom_parse.py FILE

FILE is the exposition text. Prints one JSON object, keyed by family name as
the parser names it (a counter without its _total):
  {"shakeoff_guard_xdp_drop": {"type": "counter", "help": "...",
   "samples": [{"name": "shakeoff_guard_xdp_drop_total",
                "labels": {"iface": "srv0", "reason": "bad_cookie"}, "value": 0.0}]}}
A parse error is an exception: exit 1 with the parser's message.
"""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    out = {}
    for fam in text_string_to_metric_families(text):
        if fam.name in out:
            raise SystemExit(f"family {fam.name} twice")
        out[fam.name] = {"type": fam.type, "help": fam.documentation,
                         "samples": [{"name": s.name, "labels": s.labels, "value": s.value}
                                     for s in fam.samples]}
    print(json.dumps(out))


if __name__ == "__main__":
    main()

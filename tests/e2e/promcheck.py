#!/usr/bin/python3
"""promcheck.py - check a --metrics file strictly: Prometheus' own text
parser (python3-prometheus-client, text_string_to_metric_families) must read
it, and the conventions of docs/metrics.md must hold: every family has
# HELP and # TYPE before its samples, names are chainsniff_[a-z0-9_]+,
counters end in _total and gauges do not, every sample belongs to the family
just declared, no series is repeated, values are integers >= 0, the file
ends with a newline.  Prints "ok" or one line per problem; exit 0 or 1.

    promcheck.py FILE [NAME=VALUE ...]

Each NAME=VALUE (NAME may carry labels exactly as written in the file, e.g.
'chainsniff_cap_hits_total{cap="servers"}') must be a sample with that value.
"""
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

NAME = re.compile(r"^chainsniff_[a-z0-9_]+$")
SAMPLE = re.compile(r'^([a-z_][a-z0-9_]*)(\{[^}]*\})? (\S+)$')


def check(text):
    problems = []
    if not text.endswith("\n"):
        problems.append("no newline at the end")
    declared = {}   # name -> (help seen, type)
    current = None
    seen = set()
    values = {}
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            if name in declared:
                problems.append(f"line {n}: {name} declared twice")
            if not NAME.match(name):
                problems.append(f"line {n}: bad name {name}")
            declared[name] = [True, None]
            current = name
        elif line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ")
            if name != current or declared[name][1] is not None:
                problems.append(f"line {n}: TYPE of {name} not right after its HELP")
                continue
            declared[name][1] = typ
            if typ == "counter" and not name.endswith("_total"):
                problems.append(f"line {n}: counter {name} does not end in _total")
            if typ == "gauge" and name.endswith("_total"):
                problems.append(f"line {n}: gauge {name} ends in _total")
            if typ not in ("counter", "gauge"):
                problems.append(f"line {n}: unexpected type {typ}")
        elif line.startswith("#") or not line:
            problems.append(f"line {n}: unexpected line {line!r}")
        else:
            m = SAMPLE.match(line)
            if not m:
                problems.append(f"line {n}: not a sample: {line!r}")
                continue
            name, labels, value = m.group(1), m.group(2) or "", m.group(3)
            if name != current or declared[name][1] is None:
                problems.append(f"line {n}: sample of {name} outside its family")
            key = name + labels
            if key in seen:
                problems.append(f"line {n}: series {key} repeated")
            seen.add(key)
            if not re.match(r"^[0-9]+$", value):
                problems.append(f"line {n}: value {value} is not an integer >= 0")
            values[key] = value
    try:
        fams = list(text_string_to_metric_families(text))
        if not fams:
            problems.append("the parser found no metric family")
        for fam in fams:
            if not fam.documentation:
                problems.append(f"parser: {fam.name} has no HELP")
    except Exception as exc:  # the parser's refusal is the point
        problems.append(f"parser: {exc}")
    return problems, values


def main():
    if len(sys.argv) < 2:
        print("usage: promcheck.py FILE [NAME=VALUE ...]", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        problems, values = check(f.read())
    for want in sys.argv[2:]:
        key, value = want.rsplit("=", 1)
        if values.get(key) != value:
            problems.append(f"{key}: expected {value}, got {values.get(key)}")
    for p in problems:
        print(p)
    if not problems:
        print("ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Parses a Prometheus text-format file with the reference client's own parser
(prometheus_client, a separate implementation) and prints its samples as JSON:
[{"family", "type", "name", "labels", "value", "timestamp"}...]. Exits 2 with the
parser's message if the text does not parse, 3 if prometheus_client is missing."""

import json
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError as e:
    print(f"prometheus_client not available: {e}", file=sys.stderr)
    sys.exit(3)

text = open(sys.argv[1], encoding="utf-8").read()
try:
    out = []
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.append({"family": family.name, "type": family.type,
                        "documentation": family.documentation, "name": s.name,
                        "labels": s.labels, "value": s.value,
                        "timestamp": s.timestamp})
except Exception as e:  # the parser raises ValueError and others on bad input
    print(f"does not parse: {e}", file=sys.stderr)
    sys.exit(2)
json.dump(out, sys.stdout)

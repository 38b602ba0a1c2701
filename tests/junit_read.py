#!/usr/bin/env python3
"""Reads a JUnit XML report with junitparser (PyPI, a separate implementation of the
format Jenkins and GitLab read) and prints what it found as JSON:
{"suites": [{"name", "tests", "failures", "errors", "skipped", "cases": [{"name",
"classname", "time", "results": [{"kind", "type", "message"}], "system_out"}]}]}.
Exits 2 if the file does not parse, 3 if junitparser is missing."""

import json
import sys

try:
    from junitparser import JUnitXml, Failure, Error, Skipped
except ImportError as e:
    print(f"junitparser not available: {e}", file=sys.stderr)
    sys.exit(3)

KINDS = {Failure: "failure", Error: "error", Skipped: "skipped"}

try:
    xml = JUnitXml.fromfile(sys.argv[1])
    suites = []
    for suite in xml:
        cases = []
        for case in suite:
            results = [{"kind": KINDS.get(type(r), type(r).__name__),
                        "type": r.type, "message": r.message} for r in case.result]
            cases.append({"name": case.name, "classname": case.classname,
                          "time": case.time, "results": results,
                          "system_out": case.system_out})
        suites.append({"name": suite.name, "tests": suite.tests,
                       "failures": suite.failures, "errors": suite.errors,
                       "skipped": suite.skipped, "cases": cases})
except Exception as e:  # junitparser raises lxml/ElementTree errors on bad input
    print(f"does not parse: {e}", file=sys.stderr)
    sys.exit(2)
json.dump({"suites": suites}, sys.stdout)

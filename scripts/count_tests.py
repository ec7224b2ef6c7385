#!/usr/bin/env python3
"""Reads meson's testlog.json and prints 'N passed, N failed' over the Catch2
test cases of every test binary and cargo's tests (by their "test result:"
lines). A Catch2 binary that ended without its summary (a crash, a timeout)
counts as one failed test case; a test that is not a Catch2 binary (the
benchmark smoke run, a check script) counts as one test case; a skipped test
(exit 77) counts as none and is named."""
import json
import re
import sys

passed = failed = 0
with open(sys.argv[1], encoding="utf-8") as log:
    for line in log:
        if not line.strip():
            continue
        result = json.loads(line)
        out = result.get("stdout", "") or ""
        ok = re.search(r"All tests passed \(\d+ assertions? in (\d+) test cases?\)", out)
        mixed = re.search(r"test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed", out)
        cargo = re.findall(r"test result: \w+\. (\d+) passed; (\d+) failed", out)
        if result.get("result") == "SKIP":
            print(f"{result.get('name')}: skipped", file=sys.stderr)
        elif cargo:
            passed += sum(int(p) for p, _ in cargo)
            cargo_failed = sum(int(f) for _, f in cargo)
            failed += cargo_failed or (result.get("result") != "OK")
        elif ok and result.get("result") == "OK":
            passed += int(ok.group(1))
        elif mixed:
            passed += int(mixed.group(2))
            failed += int(mixed.group(3)) or 1
        elif result.get("result") == "OK":
            passed += 1
        else:
            failed += 1
            print(f"{result.get('name')}: {result.get('result')} without a Catch2 summary",
                  file=sys.stderr)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

#!/usr/bin/env python3
"""Prints 'N passed, N failed' over every file given: meson testlog.json
files (one per suite: the normal build, the sanitizer builds) and the
results of scripts/fuzz.sh (fuzz-results.txt).

In a testlog, the Catch2 test cases of every test binary count, and cargo's
tests (by their "test result:" lines). A Catch2 binary that ended without
its summary (a crash, a timeout) counts as one failed test case; a test
that is not a Catch2 binary (the benchmark smoke run, a check script) counts
as one test case; a skipped test (exit 77) counts as none and is named.

In fuzz results, each line is one test: "fuzz <target>: N runs in S s,
C crashes" passes when C is 0, "replay <target>: N inputs, F failed" when F
is 0; any other line fails.

A file that is missing (its suite never ran) counts as one failed test."""
import json
import re
import sys


def count_testlog(log):
    passed = failed = 0
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
    return passed, failed


def count_fuzz_results(lines):
    passed = failed = 0
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if re.fullmatch(r"fuzz \S+: \d+ runs in \d+ s, 0 crashes", line) or re.fullmatch(
                r"replay \S+: \d+ inputs, 0 failed", line):
            passed += 1
        else:
            failed += 1
            print(line, file=sys.stderr)
    return passed, failed


passed = failed = 0
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8") as f:
            p, f_ = count_testlog(f) if path.endswith(".json") else count_fuzz_results(f)
    except FileNotFoundError:
        p, f_ = 0, 1
        print(f"{path}: missing (that suite did not run)", file=sys.stderr)
    passed += p
    failed += f_
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

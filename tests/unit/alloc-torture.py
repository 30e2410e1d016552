#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Allocation failure walk over the unit tests (STYLE.md §3.11, curl's torture tests).

For every test of suite 'unit' in BUILD_ROOT (read from meson's introspection), count the
allocations of a clean run, then rerun it with COCOBOX_FAIL_ALLOC=N for the first 40 N and
a spread of later ones, within a time budget per test. A run may fail its assertions (the
harness exits 99) but must not crash, trip a sanitizer or hang. TAP, one line per test."""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time

BUDGET = float(os.environ.get("ALLOC_TORTURE_BUDGET", "8"))  # seconds per unit test
SPREAD = 120                                                   # later N sampled evenly


def unit_tests(root, skip):
    with open(os.path.join(root, "meson-info", "intro-tests.json")) as f:
        tests = json.load(f)
    return [t for t in tests if any(s.split(":")[-1] == "unit" for s in t["suite"])
            and t["name"] not in skip]


def run(t, extra, timeout):
    env = dict(os.environ)
    env.update(t.get("env") or {})
    env.update(extra)
    env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=1:allocator_may_return_null=1"
    env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
    try:
        p = subprocess.run(t["cmd"], env=env, cwd=t.get("workdir") or None, timeout=timeout,
                           stdin=subprocess.DEVNULL, capture_output=True)
    except subprocess.TimeoutExpired:
        return "hang", ""
    err = p.stderr.decode(errors="replace")
    if p.returncode < 0 or "ERROR: AddressSanitizer" in err or "runtime error:" in err:
        return "crash %d" % p.returncode, err
    return None, ""


def walk(t):
    with tempfile.NamedTemporaryFile() as f:
        problem, _ = run(t, {"COCOBOX_ALLOC_COUNT": f.name}, 120)
        if problem:
            return t["name"], 0, 0, ["clean run: " + problem]
        try:
            total = int(open(f.name).read() or 0)
        except ValueError:
            total = 0
    points = list(range(1, min(total, 40) + 1))
    if total > 40:
        step = max(1, (total - 40) // SPREAD)
        points += list(range(41, total + 1, step))
    end = time.monotonic() + BUDGET
    bad, done = [], 0
    for n in points:
        if time.monotonic() > end:
            break
        problem, err = run(t, {"COCOBOX_FAIL_ALLOC": str(n)}, 30)
        done += 1
        if problem:
            lines = [l for l in err.splitlines() if l.strip()][:12]
            bad.append("allocation %d: %s\n%s" % (n, problem, "\n".join(lines)))
            if len(bad) >= 3:
                break
    return t["name"], total, done, bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_root")
    ap.add_argument("--skip", action="append", default=[], help="a unit test not to walk")
    args = ap.parse_args()
    tests = unit_tests(args.build_root, args.skip)
    print("1..%d" % len(tests))
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for i, (name, total, done, bad) in enumerate(pool.map(walk, tests), 1):
            if bad:
                failed += 1
                print("not ok %d %s: %d of %d allocations failed in turn" % (i, name, done, total))
                for b in bad:
                    print("\n".join("# " + l for l in b.splitlines()))
            else:
                print("ok %d %s: %d of %d allocations failed in turn, no crash" % (i, name, done, total))
            sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

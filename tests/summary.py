#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Prints the closing line CI reads, "N passed, N failed, N skipped", from meson testlogs.
A TAP test counts each of its subtests; exits 1 if anything failed."""
import json
import re
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            t = json.loads(line)
            res = t["result"]
            sub = [(s, "# SKIP" in rest) for s, rest in
                   re.findall(r"^(ok|not ok)\b(.*)$", t.get("stdout") or "", re.M)]
            if res in ("OK", "SKIP") and sub:
                passed += sum(1 for s, k in sub if s == "ok" and not k)
                skipped += sum(1 for s, k in sub if k)
                failed += sum(1 for s, k in sub if s == "not ok")
            elif res == "OK":
                passed += 1
            elif res == "SKIP":
                skipped += 1
            elif res == "EXPECTEDFAIL":
                passed += 1
            else:
                failed += 1
                print(f"FAILED: {t['name']} ({res})", file=sys.stderr)
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)

#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Every C file follows .clang-format (clang-format 14, STYLE.md §3.12).
cd "${TOP_SRCDIR:?}" || exit 1
command -v clang-format >/dev/null || { echo "1..0 # SKIP clang-format not installed"; exit 0; }
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
echo "1..1"
if out=$(clang-format --dry-run --Werror $files 2>&1); then
	echo "ok 1 clang-format clean ($(echo "$files" | wc -w) files)"
else
	echo "not ok 1 clang-format"
	echo "$out" | grep -E 'warning|error' | sed 's/^/# /' | head -20
	exit 1
fi

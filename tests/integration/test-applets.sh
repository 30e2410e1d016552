#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The multi-call front end: --list, --install, --version, dispatch by argv[0] and argv[1].
. "$(dirname "$0")/lib.sh"

applets=$("$COCOBOX" --list)
n=$(echo "$applets" | wc -l)
plan $((6 + 2 * n))

expect_output "--list is sorted" "$(echo "$applets" | LC_ALL=C sort)" echo "$applets"
check "--version names cocobox" sh -c "'$COCOBOX' --version | grep -q '^cocobox [0-9]'"
expect_exit "unknown applet exits 127" 127 "$COCOBOX" no-such-applet
expect_exit "unknown option fails" 1 "$COCOBOX" --frobnicate

mkdir -p "$T_TMP/bin"
check "--install DIR" "$COCOBOX" --install "$T_TMP/bin"
# Re-running replaces the links in place.
check "--install twice" "$COCOBOX" --install "$T_TMP/bin"

for a in $applets; do
	check "$a --help via link" sh -c "'$T_TMP/bin/$a' --help | grep -q '^Usage: $a'"
	check "$a --help via argv[1]" sh -c "'$COCOBOX' $a --help | grep -q '^Usage: $a'"
done
done_testing

#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# kernel-config/check.sh against Debian's own guest kernel config (6.1: SEV guest as a
# module, no TDX guest, no configfs-tsm) and against made-up configs, plain and gzip.
. "$(dirname "$0")/lib.sh"

CHECK=$TOP_SRCDIR/kernel-config/check.sh
krc=0
K=$("$TOP_SRCDIR/tests/vm/kernel.sh" 2>"$T_TMP/k.err") || krc=$?
plan 9
if [ $krc = 0 ]; then
	CFG=$(ls "$K"/boot/config-*)
	expect_exit "Debian 6.1 lacks something" 1 "$CHECK" "$CFG"
	cp "$T_TMP/out" "$T_TMP/all"
	check "... configfs-tsm and the TDX guest, by name" sh -c \
		"grep -q 'tsm *missing: CONFIG_TSM_REPORTS' '$T_TMP/all' && grep -q 'tdx *missing: CONFIG_INTEL_TDX_GUEST' '$T_TMP/all'"
	check "... SEV guest present as a module" grep -q 'snp *ok (CONFIG_SEV_GUEST(m))' "$T_TMP/all"
	expect_exit "--tee snp: nothing missing" 0 "$CHECK" --tee snp "$CFG"
	expect_exit "--tee tdx: the TDX guest is missing" 1 "$CHECK" --tee tdx "$CFG"
else
	for i in 1 2 3 4 5; do skip "no Debian kernel package here: $(tail -1 "$T_TMP/k.err")"; done
fi
cat "$TOP_SRCDIR"/kernel-config/*.config | grep -E '^CONFIG_' >"$T_TMP/full"
gzip -c "$T_TMP/full" >"$T_TMP/full.gz"
expect_exit "a config with every fragment passes" 0 "$CHECK" "$T_TMP/full"
expect_exit "... read from gzip too" 0 "$CHECK" "$T_TMP/full.gz"
expect_exit "an unreadable config is a usage error" 2 "$CHECK" "$T_TMP/nope"
expect_exit "an unknown TEE is a usage error" 2 "$CHECK" --tee sgx "$T_TMP/full"
done_testing

#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# systemd/*.service (peer-pod VM images) pass `systemd-analyze verify` with nothing to
# say (it exits 0 even on warnings, so any output fails), a broken copy is caught, the
# daemons named are our applets with upstream's flags, and the hardening exposure
# levels are printed for the record.
. "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null || skip_all "systemd-analyze missing (apt-get install systemd)"
UNITS="attestation-agent confidential-data-hub api-server-rest"
plan 7
mkdir -p "$T_TMP/bin" "$T_TMP/units"
for u in $UNITS; do
	ln -s "$COCOBOX" "$T_TMP/bin/$u"
	# verify wants ExecStart's program to exist: point it at this build's applet.
	sed "s|^ExecStart=/usr/bin/|ExecStart=$T_TMP/bin/|" "$TOP_SRCDIR/systemd/$u.service" \
		>"$T_TMP/units/$u.service"
done
quiet_verify() { # UNIT...: verify, failing on any diagnostic
	local out
	out=$(systemd-analyze verify "$@" 2>&1) || { echo "$out"; return 1; }
	[ -z "$out" ] || { echo "$out"; return 1; }
}
for u in $UNITS; do
	check "$u.service verifies cleanly" quiet_verify "$T_TMP/units/$u.service"
done
sed 's/^Restart=on-failure/Restart=sometimes/' "$T_TMP/units/api-server-rest.service" \
	>"$T_TMP/units/broken.service"
expect_exit "a unit with a bad Restart= is caught" 1 quiet_verify "$T_TMP/units/broken.service"
check "ordering: the CDH after the AA, the REST server after both" sh -c "
	grep -q '^After=attestation-agent.service' '$TOP_SRCDIR/systemd/confidential-data-hub.service' &&
	grep -q '^After=attestation-agent.service confidential-data-hub.service' '$TOP_SRCDIR/systemd/api-server-rest.service'"
check "the CDH stays in the host's mount namespace (its mounts must be visible)" sh -c "
	! grep -Eq '^(PrivateTmp|ProtectSystem|ProtectHome|PrivateMounts|ReadOnlyPaths|ReadWritePaths|InaccessiblePaths|TemporaryFileSystem)=' '$TOP_SRCDIR/systemd/confidential-data-hub.service'"
# Every ExecStart names an applet that answers --help.
check "each ExecStart runs an applet" sh -c "for u in $UNITS; do '$T_TMP/bin/'\$u --help >/dev/null || exit 1; done"
for u in $UNITS; do
	echo "# $(systemd-analyze security --offline=yes "$T_TMP/units/$u.service" 2>/dev/null | tail -1 | LC_ALL=C tr -cd "[:print:]" | sed "s/^ *//")"
done
done_testing

# SPDX-License-Identifier: Apache-2.0
# Shared helpers for tests/integration/test-*.sh. Each test prints TAP.
# Environment from meson: COCOBOX (the binary), TOP_SRCDIR, TOP_BUILDDIR.
set -u

: "${COCOBOX:?COCOBOX must point at the built binary}"
T_N=0
T_FAILED=0
T_TMP=$(mktemp -d /tmp/cocobox-test.XXXXXX)
T_PIDS=""

t_cleanup() {
	for p in $T_PIDS; do kill "$p" 2>/dev/null; done
	for p in $T_PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$T_TMP"
}
trap t_cleanup EXIT

plan() { echo "1..$1"; }
ok() { T_N=$((T_N + 1)); echo "ok $T_N $*"; }
not_ok() { T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1)); echo "not ok $T_N $*"; }
skip() { T_N=$((T_N + 1)); echo "ok $T_N # SKIP $*"; }
# skip_all REASON: the whole file cannot run here.
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

# check NAME CMD...: passes when CMD exits 0.
check() {
	local name=$1
	shift
	if "$@" >"$T_TMP/out" 2>"$T_TMP/err"; then
		ok "$name"
	else
		not_ok "$name (exit $?)"
		sed 's/^/# /' "$T_TMP/out" "$T_TMP/err" | head -20
	fi
}

# expect_output NAME EXPECTED CMD...: passes when CMD's stdout equals EXPECTED.
expect_output() {
	local name=$1 want=$2 got
	shift 2
	got=$("$@" 2>"$T_TMP/err")
	if [ "$got" = "$want" ]; then
		ok "$name"
	else
		not_ok "$name"
		printf '# want: %s\n# got:  %s\n' "$want" "$got"
		sed 's/^/# /' "$T_TMP/err" | head -10
	fi
}

# expect_exit NAME CODE CMD...
expect_exit() {
	local name=$1 want=$2 rc=0
	shift 2
	"$@" >"$T_TMP/out" 2>"$T_TMP/err" || rc=$?
	if [ "$rc" = "$want" ]; then ok "$name"; else not_ok "$name (exit $rc, want $want)"; fi
}

# start_daemon NAME CMD...: runs CMD in the background, its log in $T_TMP/NAME.log.
start_daemon() {
	local name=$1
	shift
	"$@" >"$T_TMP/$name.log" 2>&1 &
	T_PIDS="$T_PIDS $!"
	LAST_PID=$!
}

# wait_socket PATH [SECONDS]: waits until PATH is a socket.
wait_socket() {
	local i
	for i in $(seq 1 $((${2:-10} * 50))); do
		[ -S "$1" ] && return 0
		sleep 0.02
	done
	return 1
}

# free_port: a TCP port on 127.0.0.1 nobody listens on (now).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_registry DIR: Debian's docker-registry on a free port of 127.0.0.1, storing under
# DIR; sets REG_PORT. Fails when it does not answer within 5 s.
start_registry() {
	local dir=$1 i
	REG_PORT=$(free_port)
	mkdir -p "$dir"
	printf 'version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: 127.0.0.1:%s}\n' \
		"$dir" "$REG_PORT" >"$dir.yml"
	start_daemon registry docker-registry serve "$dir.yml"
	for i in $(seq 250); do
		curl -s -o /dev/null "http://127.0.0.1:$REG_PORT/v2/" && return 0
		sleep 0.02
	done
	return 1
}

# need_registry_tools [CMD...]: skips the whole test without docker-registry, umoci, skopeo,
# python3, curl and each CMD, or without root (the layers' owners are unpacked as given);
# drops the proxy variables, which would route 127.0.0.1 elsewhere.
need_registry_tools() {
	local c
	for c in docker-registry umoci skopeo python3 curl "$@"; do
		command -v "$c" >/dev/null ||
			skip_all "$c missing (apt-get install docker-registry umoci skopeo)"
	done
	[ "$(id -u)" = 0 ] || skip_all "needs root (owners in the unpacked layers)"
	unset http_proxy https_proxy all_proxy HTTPS_PROXY ALL_PROXY no_proxy NO_PROXY
}

# make_test_pki DIR: a test CA (DIR/ca.key, DIR/ca.crt) and a server certificate it signed
# for 127.0.0.1 and localhost (DIR/kbs.key, DIR/kbs.crt), EC P-256, valid two days. Skips
# the whole test when openssl cannot make them.
make_test_pki() {
	local d=$1
	mkdir -p "$d"
	_ec() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "$@" 2>/dev/null; }
	_ec -x509 -days 2 -keyout "$d/ca.key" -out "$d/ca.crt" -subj /CN=cocobox-test-ca \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
	_ec -keyout "$d/kbs.key" -out "$d/kbs.csr" -subj /CN=kbs
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
		>"$d/kbs.ext"
	openssl x509 -req -in "$d/kbs.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 2 -out "$d/kbs.crt" -extfile "$d/kbs.ext" 2>/dev/null
	[ -s "$d/kbs.crt" ] || skip_all "openssl could not make test certificates"
}

done_testing() {
	[ "$T_FAILED" -eq 0 ]
}

#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The CDH's GetResource path, measured with the real Go ttrpc client (as the Kata agent):
#  - warm round trip through CDH -> test KBS (tests/kbs/kbs.py, Python: it makes a fresh JWE
#    per call and dominates) at 1 and C calls in flight: calls/s, p50, p99;
#  - the same through an offline_fs_kbc CDH (no network: the CDH + ttrpc floor);
#  - /attest calls at the KBS for N GetResource calls from a fresh CDH, beside upstream's
#    token client, which attests once per call (upstream.md §4.7), as a ratio;
#  - cold start: exec of confidential-data-hub to its socket (median of S starts), and the
#    CDH's RSS idle and after the load.
# Figures are printed, not asserted. Not part of meson test.
#   bench/cdh.sh BUILD_DIR [-n N] [-d SECONDS] [-c C] [-s STARTS]
# Use a release build (meson setup --buildtype=minsize) for figures worth quoting.
set -euo pipefail

build=$(cd "${1:?usage: bench/cdh.sh BUILD_DIR [-n N] [-d SECONDS] [-c C] [-s STARTS]}" && pwd)
shift
n=100 d=3 c=8 starts=20
while getopts n:d:c:s: o; do
	case $o in
	n) n=$OPTARG ;; d) d=$OPTARG ;; c) c=$OPTARG ;; s) starts=$OPTARG ;;
	*) exit 2 ;;
	esac
done
src=$(cd "$(dirname "$0")/.." && pwd)
bin=$build/cocobox
call=$build/tests/integration/helpers/ttrpc-call
[ -x "$bin" ] || { echo "missing $bin" >&2; exit 1; }
[ -x "$call" ] || { echo "missing $call (needs go)" >&2; exit 1; }
unset http_proxy https_proxy all_proxy HTTPS_PROXY ALL_PROXY no_proxy NO_PROXY AA_KBC_PARAMS

tmp=$(mktemp -d /tmp/bench-cdh.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

wait_sock() { for _ in $(seq 2000); do [ -S "$1" ] && return 0; sleep 0.005; done; return 1; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hex() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }
kstat() { curl -s "$K/test/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }

mkdir -p "$tmp/repo/default/key" "$tmp/run"
head -c 64 /dev/urandom >"$tmp/repo/default/key/1"
python3 -c 'import base64,json,sys; json.dump({"default/key/1": base64.b64encode(open(sys.argv[1],"rb").read()).decode()}, open(sys.argv[2],"w"))' \
	"$tmp/repo/default/key/1" "$tmp/offline.json"

/usr/bin/python3 "$src/tests/kbs/kbs.py" --resources "$tmp/repo" --port-file "$tmp/kbs.port" \
	--lifetime 900 2>"$tmp/kbs.log" >/dev/null &
pids+=($!)
for _ in $(seq 500); do [ -s "$tmp/kbs.port" ] && break; sleep 0.01; done
K=http://127.0.0.1:$(cat "$tmp/kbs.port")
printf '[token_configs.kbs]\nurl = "%s"\n' "$K" >"$tmp/aa.toml"
"$bin" attestation-agent -a "unix://$tmp/aa.sock" -c "$tmp/aa.toml" 2>"$tmp/aa.log" &
pids+=($!)
wait_sock "$tmp/aa.sock"

cfg() { # NAME KBC -> config file
	printf 'socket = "unix://%s"\n[aa]\naa_socket = "unix://%s"\n[kbc]\nname = "%s"\nurl = "%s"\n' \
		"$tmp/$1.sock" "$tmp/aa.sock" "$2" "$K" >"$tmp/$1.toml"
}
cfg kbs cc_kbc
cfg off offline_fs_kbc
start_cdh() { # NAME -> $cdh_pid
	rm -f "$tmp/$1.sock"
	CDH_RUN_DIR=$tmp/run OFFLINE_FS_KBC_EXTRA_FILE_PATH=$tmp/offline.json \
		"$bin" confidential-data-hub -c "$tmp/$1.toml" 2>>"$tmp/$1.log" &
	cdh_pid=$!
	pids+=($cdh_pid)
	wait_sock "$tmp/$1.sock"
}
stop_cdh() { kill "$cdh_pid"; wait "$cdh_pid" 2>/dev/null || true; }

req=0a14$(hex kbs:///default/key/1)
load() { # SOCK CONC -> "rps p50 p99"
	"$call" -sock "$1" -service api.GetResourceService -method GetResource -req-hex "$req" \
		-c "$2" -duration "${d}s" -stats |
		sed -E 's/.*rps=([0-9]+) p50_us=([0-9]+) p99_us=([0-9]+).*/\1 \2 \3/'
}
report() { # LABEL "rps p50 p99"
	set -- "$1" $2
	printf '  %-44s %8s calls/s  p50 %6s us  p99 %6s us\n' "$1" "$2" "$3" "$4"
}

echo "CDH bench: $(nproc) CPUs, ${d}s per load, $(file -b "$bin" | cut -d, -f1-2)"

# /attest calls for N resources from a fresh CDH
start_cdh kbs
a0=$(kstat attest)
"$call" -sock "$tmp/kbs.sock" -service api.GetResourceService -method GetResource -req-hex "$req" \
	-n "$n" -c 1 >/dev/null
a=$(($(kstat attest) - a0))
printf '/attest calls for %d GetResource calls: %d (upstream: %d, one per call) -> %sx fewer\n' \
	"$n" "$a" "$n" "$(awk -v n="$n" -v a="$a" 'BEGIN { printf (a ? "%.0f" : "inf"), n / (a ? a : 1) }')"
idle=$(rss_kb "$cdh_pid")

echo "warm GetResource round trip (Go client, one connection):"
report "via cc_kbc -> kbs.py, 1 in flight" "$(load "$tmp/kbs.sock" 1)"
report "via cc_kbc -> kbs.py, $c in flight" "$(load "$tmp/kbs.sock" "$c")"
printf '  (kbs.py /attest calls during the load: %d)\n' $(($(kstat attest) - a0 - a))
loaded=$(rss_kb "$cdh_pid")
stop_cdh
# The KBS's own share: the same GET with a token, straight from a keep-alive Python client.
"$bin" aa-tool -s "unix://$tmp/aa.sock" token kbs >"$tmp/token.json"
report "kbs.py alone (Python client, Bearer), 1 in flight" "$(python3 - "$K" "$tmp/token.json" "$d" <<'PY'
import http.client, json, statistics, sys, time, urllib.parse
url, token, d = urllib.parse.urlparse(sys.argv[1]), json.load(open(sys.argv[2]))["token"], float(sys.argv[3])
c = http.client.HTTPConnection(url.hostname, url.port)
lat, end = [], time.perf_counter() + d
while time.perf_counter() < end:
    t = time.perf_counter()
    c.request("GET", "/kbs/v0/resource/default/key/1", headers={"Authorization": "Bearer " + token})
    r = c.getresponse()
    r.read()
    assert r.status == 200
    lat.append((time.perf_counter() - t) * 1e6)
lat.sort()
print(int(len(lat) / d), int(statistics.median(lat)), int(lat[int(len(lat) * 0.99)]))
PY
)"
start_cdh off
report "via offline_fs_kbc (CDH floor), 1 in flight" "$(load "$tmp/off.sock" 1)"
report "via offline_fs_kbc (CDH floor), $c in flight" "$(load "$tmp/off.sock" "$c")"
stop_cdh
printf 'CDH RSS: %s kB after %d calls, %s kB after the loads\n' "$idle" "$n" "$loaded"

# cold start: exec to socket ready (cc_kbc: no KBS contact before the socket)
python3 - "$bin" "$tmp" "$starts" <<'PY'
import os, statistics, subprocess, sys, time
exe, tmp, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
env = dict(os.environ, CDH_RUN_DIR=tmp + "/run")
for name in ("kbs", "off"):
    sock = os.path.join(tmp, name + ".sock")
    times = []
    for _ in range(n):
        if os.path.exists(sock):
            os.unlink(sock)
        t = time.perf_counter()
        p = subprocess.Popen([exe, "confidential-data-hub", "-c", os.path.join(tmp, name + ".toml")],
                             stderr=subprocess.DEVNULL, env=env)
        while not os.path.exists(sock):
            if p.poll() is not None:
                sys.exit("confidential-data-hub exited early")
            time.sleep(0.0002)
        times.append((time.perf_counter() - t) * 1000)
        p.terminate()
        p.wait()
    print(f"cold start ({'cc_kbc' if name == 'kbs' else 'offline_fs_kbc'}), exec to socket ready: "
          f"median {statistics.median(times):.2f} ms, min {min(times):.2f} ms over {n} starts")
PY

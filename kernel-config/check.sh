#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Lists what a guest kernel lacks for cocobox, per concern (the *.config fragments here).
#   kernel-config/check.sh [--tee tdx|snp|cca|tpm]... [CONFIG]
# CONFIG is a kernel .config, plain or gzip (default /proc/config.gz). Every fragment is
# checked unless --tee names TEEs: then base, dm and afalg, plus what those TEEs need (tdx
# and cca report through configfs-tsm; snp can use it or /dev/sev-guest). An option built
# as a module (=m) counts, marked "(m)": the initrd must then carry the module. Exit 0
# when nothing checked is missing, 1 otherwise, 2 on bad usage.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tees=()
while [ $# -gt 0 ]; do
	case $1 in
	--tee)
		case ${2:-} in tdx | snp | cca | tpm) tees+=("$2") ;; *) echo "check.sh: unknown TEE '${2:-}'" >&2; exit 2 ;; esac
		shift 2 ;;
	-h | --help) sed -n '3,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) break ;;
	esac
done
config=${1:-/proc/config.gz}
[ -r "$config" ] || { echo "check.sh: cannot read $config" >&2; exit 2; }

if [ ${#tees[@]} = 0 ]; then
	fragments=(base dm afalg tsm tdx snp cca tpm)
else
	fragments=(base dm afalg)
	for t in "${tees[@]}"; do
		case $t in tdx | cca) fragments+=(tsm "$t") ;; *) fragments+=("$t") ;; esac
	done
	mapfile -t fragments < <(printf '%s\n' "${fragments[@]}" | awk '!seen[$0]++')
fi

if gzip -t "$config" 2>/dev/null; then text=$(gzip -dc "$config"); else text=$(cat "$config"); fi
missing_any=0
for f in "${fragments[@]}"; do
	missing=() modules=()
	while IFS= read -r line; do
		opt=${line%%=*}
		case $(grep -E "^$opt=" <<<"$text" | tail -1) in
		"$opt=y") ;;
		"$opt=m") modules+=("$opt") ;;
		*) missing+=("$opt") ;;
		esac
	done < <(grep -E '^CONFIG_[A-Z0-9_]+=' "$here/$f.config")
	if [ ${#missing[@]} = 0 ]; then
		printf '%-6s ok%s\n' "$f" "${modules[*]:+ ($(printf '%s(m) ' "${modules[@]}" | sed 's/ $//'))}"
	else
		missing_any=1
		printf '%-6s missing: %s\n' "$f" "${missing[*]}"
	fi
done
exit $missing_any

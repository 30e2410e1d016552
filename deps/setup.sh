#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The one setup entry point (README, tests/run.sh, CI): install the Debian packages listed
# in deps/packages that are missing, then build both dependency flavours (deps/build.sh).
# Idempotent: a warm run makes no apt call and builds nothing (about 0.1 s).
# Prints the two prefixes (musl, then glibc) on stdout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export DEBIAN_FRONTEND=noninteractive

mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$here/packages")
# One dpkg-query for all of them; packages it does not know print nothing.
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${wanted[@]}" 2>/dev/null |
	awk '$2 == "install" && $4 == "installed" { print $1 }' || true)
missing=()
for pkg in "${wanted[@]}"; do
	grep -qxF "$pkg" <<<"$installed" || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}" >&2
	# DPkg::Lock::Timeout: wait for another apt/dpkg run instead of failing on its lock.
	apt-get -o DPkg::Lock::Timeout=600 update >&2
	apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >&2
fi

bash "$here/build.sh" musl
bash "$here/build.sh" glibc

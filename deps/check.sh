#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Smoke check of a deps/build.sh prefix: build deps/check.c the way meson would (the
# compiler, c_args and pkg-config wrapper of the prefix's meson-native.ini), link every
# library, run it. musl: linked -static, and the binary must have no ELF interpreter.
#
#   deps/check.sh PREFIX [CC [CFLAGS...]]
#   deps/check.sh "$(deps/build.sh --prefix musl)"
#   deps/check.sh "$(deps/build.sh --prefix glibc)" clang -fsanitize=address,undefined
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -ge 1 ] || { sed -n 's/^#   //p' "$0" >&2; exit 2; }
prefix=$1
shift
native=$prefix/meson-native.ini
[ -f "$native" ] || { echo "check: no $native (run deps/build.sh first)" >&2; exit 1; }

# The native file is written by build.sh: one "key = 'value'" or "key = ['a', 'b']" a line.
cc=$(sed -n "s/^c = '\(.*\)'$/\1/p" "$native")
pkgconfig=$(sed -n "s/^pkgconfig = '\(.*\)'$/\1/p" "$native")
mapfile -t c_args < <(sed -n 's/^c_args = \[\(.*\)\]$/\1/p' "$native" | grep -o "'[^']*'" | tr -d "'")
if [ $# -ge 1 ]; then
	cc=$1
	shift
fi
extra=("$@")

static=()
[ "$cc" = musl-gcc ] && static=(-static)
modules=(libcryptsetup libarchive libcurl libprotobuf-c libisal zlib libzstd json-c cocobox-tss2
	hogweed nettle mbedtls mbedx509 mbedcrypto uuid blkid devmapper)

fail() {
	echo "check: FAIL: $*" >&2
	exit 1
}

# No library may use OpenSSL (mbedTLS and nettle are the only crypto).
if nm -A --undefined-only "$prefix"/lib/*.a 2>/dev/null | grep -E ' U (SSL_|EVP_|OPENSSL_|ERR_get_error)' >&2; then
	fail "an archive references OpenSSL"
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bin=$out/check
cflags=$("$pkgconfig" --cflags "${modules[@]}")
libs=$("$pkgconfig" --libs "${modules[@]}")
# shellcheck disable=SC2086 # pkg-config prints a list of flags
"$cc" "${c_args[@]}" -std=gnu11 -Os -Wall -Wextra -Werror -ffunction-sections -fdata-sections \
	"${extra[@]}" $cflags "$here/check.c" -o "$bin" "${static[@]}" -Wl,--gc-sections $libs ||
	fail "compile/link with $cc"
"$bin" || fail "$bin reported a failure"

size=$(stat -c %s "$bin")
strip -o "$bin.stripped" "$bin"
stripped=$(stat -c %s "$bin.stripped")
if [ ${#static[@]} -gt 0 ]; then
	! readelf -l "$bin" | grep -q INTERP || fail "static binary has an ELF interpreter"
	readelf -d "$bin" | grep -q 'no dynamic section' || fail "static binary has a dynamic section"
	linkage="static, no INTERP, no dynamic section"
else
	linkage="dynamic: $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
fi
echo "check: ok: $cc, $linkage; $size bytes, $stripped stripped" >&2

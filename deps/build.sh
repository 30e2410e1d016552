#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Build cocobox's C dependencies (deps/pins) as static libraries, once per pinned set.
#
#   deps/build.sh musl|glibc|all       build if needed, print the prefix (one line per flavour)
#   deps/build.sh --prefix FLAVOUR     print the prefix only (nothing is built)
#   deps/build.sh --fetch              download and verify the sources only
#
#   musl   musl-gcc -Os, no debug info: the release binary (linked -static)
#   glibc  gcc -O2 -g -fPIC: for ASan/UBSan/libFuzzer builds (clang links the .a in a PIE)
#
# Cache root ${COCOBOX_DEPS_CACHE:-/var/cache/cocobox-deps}, outside any clone:
#   src/                     the downloaded Debian sources, shared by every key
#   <key>/<flavour>/         the prefix: lib/*.a, include/, lib/pkgconfig/, bin/pkg-config,
#                            meson-native.ini, kinc/ (musl: kernel headers for musl-gcc)
#   <key>/<flavour>.log      the full build log
# <key> is the first 16 hex digits of sha256(pins + build.sh), so editing either file
# builds a new prefix next to the old one. A prefix is built in <prefix>.tmp and renamed
# only when every library is in, so a half-built prefix is never used.
# The recipes and their measurements: ../shared/reference/deps-musl.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${COCOBOX_DEPS_CACHE:-/var/cache/cocobox-deps}
key=$(cat "$here/pins" "$here/build.sh" | sha256sum | cut -c1-16)
stamp=.cocobox-deps-complete

usage() {
	echo "usage: $0 musl|glibc|all | --prefix musl|glibc|all | --fetch" >&2
	exit 2
}

# The fast paths come first: a warm run must not do more than hash two files.
case $#:${1-} in
2:--prefix) flavour_arg=$2 ;;
1:--fetch) flavour_arg= ;;
1:-*) usage ;;
1:*) flavour_arg=$1 ;;
*) usage ;;
esac
case $flavour_arg in
musl | glibc) flavours=("$flavour_arg") ;;
all) flavours=(musl glibc) ;;
'') flavours=() ;;
*) usage ;;
esac
if [ "$1" = --prefix ]; then
	for f in "${flavours[@]}"; do echo "$root/$key/$f"; done
	exit 0
fi
warm=1
for f in "${flavours[@]}"; do [ -f "$root/$key/$f/$stamp" ] || warm=0; done
if [ "$1" != --fetch ] && [ $warm = 1 ]; then
	for f in "${flavours[@]}"; do echo "$root/$key/$f"; done
	exit 0
fi

# Nothing from the caller's environment may leak into the builds.
unset CC CXX CPP CFLAGS CXXFLAGS CPPFLAGS LDFLAGS LIBS MAKEFLAGS MFLAGS MAKELEVEL \
	PKG_CONFIG PKG_CONFIG_PATH PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR LD_LIBRARY_PATH
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
jobs=$(nproc)

die() {
	echo "deps: $*" >&2
	exit 1
}

mkdir -p "$root/src" 2>/dev/null || die "cannot create $root (run as root, or set COCOBOX_DEPS_CACHE)"

# ---------------------------------------------------------------------------------------
# Pins and sources

declare -A pin_ver pin_mode pin_sha
pin_names=()
while read -r name ver mode sha extra; do
	case $name in '' | '#'*) continue ;; esac
	if [ -n "${extra-}" ] || [[ ! $mode =~ ^(full|tar-only)$ ]] || [[ ! $sha =~ ^[0-9a-f]{64}$ ]]; then
		die "bad line in deps/pins: $name $ver $mode $sha ${extra-}"
	fi
	pin_names+=("$name")
	pin_ver[$name]=$ver
	pin_mode[$name]=$mode
	pin_sha[$name]=$sha
done <"$here/pins"

# Debian file names drop the epoch; the orig tarball also drops the Debian revision.
dsc_of() { local v=${pin_ver[$1]}; echo "$root/src/${1}_${v#*:}.dsc"; }
orig_of() { # NAME [DIR]: the orig tarball's path, empty if it is not there
	local v=${pin_ver[$1]} f
	v=${v#*:}
	for f in "${2:-$root/src}/${1}_${v%-*}".orig.tar.{xz,gz,bz2}; do
		[ -f "$f" ] && echo "$f" && return 0
	done
	return 0
}

srclist=/etc/apt/sources.list.d/cocobox-src.sources

# deb-src entries derived from the machine's own Debian sources: same URIs and Signed-By,
# suites bookworm (the release) and trixie (where the pinned versions live). Never a
# hard-coded mirror: the machine may only reach its own.
derive_deb_src() {
	local rel
	rel=$(. /etc/os-release && echo "$VERSION_CODENAME")
	{
		if [ -f /etc/apt/sources.list.d/debian.sources ]; then
			awk -v rel="$rel" '
			function flush() {
				if (is_deb && has_rel && uris != "") {
					print "Types: deb-src"; print uris; print "Suites: " rel " trixie"
					print "Components: main"; if (signed != "") print signed; print ""
				}
				is_deb = has_rel = 0; uris = signed = field = ""
			}
			/^#/ { next }
			/^[ \t]*$/ { flush(); next }
			/^[ \t]/ { if (field == "signed-by") signed = signed "\n" $0; next }  # inline key
			{
				field = tolower($1); sub(/:$/, "", field)
				if (field == "types")  for (i = 2; i <= NF; i++) if ($i == "deb") is_deb = 1
				if (field == "suites") for (i = 2; i <= NF; i++) if ($i == rel) has_rel = 1
				if (field == "uris") uris = $0
				if (field == "signed-by") signed = $0
			}
			END { flush() }' /etc/apt/sources.list.d/debian.sources
		fi
		if [ -f /etc/apt/sources.list ]; then
			awk -v rel="$rel" '
			$1 == "deb" {
				opts = ""; i = 2
				if ($2 ~ /^\[/) { while (i <= NF) { opts = opts " " $i; if ($i ~ /\]$/) break; i++ }; i++ }
				if ($(i + 1) != rel) next
				print "Types: deb-src"; print "URIs: " $i; print "Suites: " rel " trixie"
				print "Components: main"
				if (match(opts, /signed-by=[^] ]+/)) print "Signed-By: " substr(opts, RSTART + 10, RLENGTH - 10)
				print ""
			}' /etc/apt/sources.list
		fi
	} | awk 'BEGIN { RS = ""; ORS = "\n\n" } !seen[$0]++'
}

# (grep without -q: an early exit would SIGPIPE apt-cache and fail the pipeline)
have_src() { apt-cache showsrc "$1" 2>/dev/null | grep -xF "Version: $2" >/dev/null; }

apt_updated=
ensure_deb_src() { # NAME VERSION: make apt-get source able to find NAME=VERSION
	have_src "$1" "$2" && return 0
	if [ ! -f "$srclist" ]; then
		local entries
		entries=$(derive_deb_src)
		[ -n "$entries" ] || die "no Debian 'deb' entry for this release in /etc/apt/sources.list{,.d/debian.sources}"
		echo "deps: adding deb-src entries: $srclist" >&2
		printf '# Written by cocobox deps/build.sh: source packages for the pinned dependencies.\n%s\n' \
			"$entries" >"$srclist"
	fi
	if [ -z "$apt_updated" ]; then
		echo "deps: apt-get update" >&2
		apt-get -o DPkg::Lock::Timeout=600 update >>"${log:-/dev/stderr}" 2>&1 || die "apt-get update failed"
		apt_updated=1
	fi
	have_src "$1" "$2" || die "$1=$2 is not in any deb-src index; see: apt-cache showsrc $1 | grep ^Version"
}

check_sha() { # FILE SHA256
	local got
	got=$(sha256sum "$1" | cut -d' ' -f1)
	[ "$got" = "$2" ] && return 0
	echo "deps: sha256 mismatch for $1: got $got, deps/pins says $2 (refusing to build)" >&2
	return 1
}

fetch_one() { # NAME: download NAME's sources into $root/src once, verify the orig tarball
	local n=$1 orig dl
	orig=$(orig_of "$n")
	if [ -n "$orig" ] && { [ "${pin_mode[$n]}" = tar-only ] || [ -f "$(dsc_of "$n")" ]; }; then
		check_sha "$orig" "${pin_sha[$n]}" || exit 1
		return 0
	fi
	ensure_deb_src "$n" "${pin_ver[$n]}"
	echo "deps: fetching $n=${pin_ver[$n]} (${pin_mode[$n]})" >&2
	# apt downloads as user _apt: the download directory must be writable by it.
	dl=$(mktemp -d "$root/src/.dl.XXXXXX")
	chmod 777 "$dl"
	local opt=(--download-only)
	[ "${pin_mode[$n]}" = tar-only ] && opt+=(--tar-only)
	(cd "$dl" && apt-get source "${opt[@]}" "$n=${pin_ver[$n]}") >>"${log:-/dev/stderr}" 2>&1 ||
		{ rm -rf "$dl"; die "apt-get source $n=${pin_ver[$n]} failed"; }
	orig=$(orig_of "$n" "$dl")
	[ -n "$orig" ] || { rm -rf "$dl"; die "no orig tarball for $n after download"; }
	check_sha "$orig" "${pin_sha[$n]}" || { rm -rf "$dl"; exit 1; }
	chmod 644 "$dl"/*
	mv -f "$dl"/* "$root/src/"
	rmdir "$dl"
}

fetch_all() {
	# One fetcher at a time: two builds starting together must not race on $root/src.
	(
		flock 8
		for n in "${pin_names[@]}"; do fetch_one "$n"; done
	) 8>"$root/src/.lock"
}

unpack() { # NAME DIR: the pinned source, Debian patches applied for "full" packages
	local n=$1 dir=$2 orig
	orig=$(orig_of "$n")
	check_sha "$orig" "${pin_sha[$n]}" || exit 1
	rm -rf "$dir"
	if [ "${pin_mode[$n]}" = full ]; then
		dpkg-source -x "$(dsc_of "$n")" "$dir"
	else
		mkdir -p "$dir"
		tar -xf "$orig" -C "$dir" --strip-components=1
	fi
}

if [ "$1" = --fetch ]; then
	fetch_all
	exit 0
fi

# ---------------------------------------------------------------------------------------
# Recipes. Each runs in the unpacked source with the flavour's environment; $P is the
# (temporary) install prefix. Only libraries, headers and .pc files are installed.

cmake_build() { # ARGS...: configure, build and install a CMake project
	cmake -S . -B _build -G Ninja -DCMAKE_C_COMPILER="$CC" \
		-DCMAKE_BUILD_TYPE=None -DCMAKE_C_FLAGS="$CFLAGS" `# None: only our flags, no -O2/-O3 on top` \
		-DCMAKE_POSITION_INDEPENDENT_CODE="$pic" \
		-DCMAKE_INSTALL_PREFIX="$P" -DCMAKE_INSTALL_LIBDIR=lib "$@"
	ninja -C _build -j"$jobs"
	ninja -C _build install
}

ac_static=() # set per flavour: --prefix, --libdir, static only

build_mbedtls() {
	# Threading (pthread) and CMAC on, as Debian's own package has them.
	python3 scripts/config.py set MBEDTLS_THREADING_C
	python3 scripts/config.py set MBEDTLS_THREADING_PTHREAD
	python3 scripts/config.py set MBEDTLS_CMAC_C
	# -O2 even in the release flavour: the bignum code behind ECDH and RSA is 2.7x faster
	# than at -Os (P-256 ECDH 0.52 vs 1.39 ms here), and the CDH does one ECDH per KBS
	# resource; it costs about 100 kB of binary.
	CFLAGS=${CFLAGS/-Os/-O2} cmake_build -DUSE_STATIC_MBEDTLS_LIBRARY=ON \
		-DUSE_SHARED_MBEDTLS_LIBRARY=OFF -DENABLE_PROGRAMS=OFF -DENABLE_TESTING=OFF \
		-DMBEDTLS_FATAL_WARNINGS=OFF
}

build_nettle() {
	./configure "${ac_static[@]}" --disable-documentation --disable-openssl \
		--enable-mini-gmp --enable-fat
	# configure appends -ggdb3 to CFLAGS (12 MiB of debug info in libnettle.a): give make
	# our flags instead.
	make -j"$jobs" CFLAGS="$CFLAGS" libnettle.a libhogweed.a
	make install-headers install-static install-pkgconfig
}

build_libisal() {
	./autogen.sh
	# Without the kernel-header -isystem: CCASFLAGS defaults to CFLAGS, and isa-l's nasm
	# filter turns "-isystem DIR" into a bogus nasm input file. isa-l needs no linux/*.h.
	CFLAGS=$opt_cflags ./configure "${ac_static[@]}"
	make -j"$jobs" libisal.la
	make install-libLTLIBRARIES install-pkgconfigDATA \
		install-nobase_includeHEADERS install-pkgincludeHEADERS # isa-l.h + isa-l/*.h
}

build_zlib() {
	./configure --static --prefix="$P" --libdir="$P/lib"
	make -j"$jobs" libz.a
	make install
}

build_libzstd() {
	# Decompression only: the compressor, dictionary builder and deprecated API are out.
	# Legacy (v0.5+) frame decoding stays, as upstream's default.
	local z=(CC="$CC" CFLAGS="$CFLAGS" ZSTD_LIB_COMPRESSION=0 ZSTD_LIB_DICTBUILDER=0
		ZSTD_LIB_DEPRECATED=0 PREFIX="$P" LIBDIR="$P/lib")
	make -C lib -j"$jobs" "${z[@]}" libzstd.a # single-threaded, as upstream's static default
	make -C lib "${z[@]}" install-static install-includes install-pc
}

build_json_c() {
	cmake_build -DBUILD_SHARED_LIBS=OFF -DBUILD_STATIC_LIBS=ON -DBUILD_TESTING=OFF \
		-DBUILD_APPS=OFF -DDISABLE_EXTRA_LIBS=ON -DDISABLE_WERROR=ON
}

build_libarchive() {
	# Reader features only; every compression filter, crypto, XML and iconv library is
	# switched off explicitly, because zlib/zstd/nettle/mbedTLS are in the prefix (and
	# more on the host) and configure would otherwise pick them up.
	./configure "${ac_static[@]}" \
		--disable-bsdtar --disable-bsdcat --disable-bsdcpio --disable-bsdunzip \
		--disable-acl --enable-xattr --disable-posix-regex-lib \
		--without-zlib --without-bz2lib --without-libb2 --without-iconv --without-libiconv-prefix \
		--without-lz4 --without-zstd --without-lzma --without-lzo2 --without-cng \
		--without-mbedtls --without-nettle --without-openssl --without-xml2 --without-expat
	make -j"$jobs" libarchive.la
	make install-libLTLIBRARIES install-includeHEADERS install-pkgconfigDATA
}

build_curl() {
	# Debian's patches edit configure.ac and lib/Makefile.am: regenerate, or make would try
	# to re-run an automake version this machine does not have.
	autoreconf -fi
	./configure "${ac_static[@]}" \
		--with-mbedtls="$P" --without-openssl --with-default-ssl-backend=mbedtls \
		--enable-http --disable-ftp --disable-file --disable-ipfs --disable-ldap --disable-ldaps \
		--disable-rtsp --disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap \
		--disable-smb --disable-smtp --disable-gopher --disable-mqtt --disable-websockets \
		--disable-docs --disable-manual --disable-ntlm --disable-kerberos-auth \
		--disable-negotiate-auth --disable-aws --disable-tls-srp --disable-libcurl-option \
		--disable-ech --disable-httpsrr \
		--without-libpsl --without-nghttp2 --without-nghttp3 --without-ngtcp2 --without-quiche \
		--without-msh3 --without-brotli --without-zstd --without-zlib --without-libidn2 \
		--without-librtmp --without-libssh2 --without-libssh --without-wolfssh --without-libgsasl \
		--without-gssapi --without-ca-bundle --without-ca-path --disable-ca-search \
		--enable-threaded-resolver --enable-ipv6
	grep -q 'SSL: *enabled (mbedTLS)' config.log 2>/dev/null || grep -q '#define USE_MBEDTLS 1' lib/curl_config.h ||
		{ echo "curl: mbedTLS backend not enabled" >&2; return 1; }
	make -j"$jobs" -C lib
	make -C lib install
	make -C include install
	make install-pkgconfigDATA install-binSCRIPTS
}

build_protobuf_c() {
	./configure "${ac_static[@]}" --disable-protoc # runtime only: no C++, no libprotobuf
	make -j"$jobs"
	make install
}

build_util_linux() {
	# Debian's patches leave these two newer than Makefile.in, so make would re-run
	# automake-1.18, which this machine does not have.
	touch -r Makefile.in lsfd-cmd/Makemodule.am tests/Makemodule.am
	./configure "${ac_static[@]}" "${sysdirs[@]}" \
		--disable-all-programs --enable-libblkid --enable-libuuid \
		--disable-libmount --disable-libsmartcols --disable-libfdisk --disable-liblastlog2 \
		--disable-nls --disable-asciidoc --disable-poman --disable-bash-completion \
		--disable-pylibmount --without-udev --without-systemd --without-python --without-readline \
		--without-ncursesw --without-tinfo --without-cap-ng --without-libz --without-libmagic \
		--without-user --without-btrfs --without-econf --without-cryptsetup --without-selinux \
		--without-audit
	make -j"$jobs" libblkid.la libuuid.la
	make install-usrlib_execLTLIBRARIES install-nodist_blkidincHEADERS \
		install-uuidincHEADERS install-pkgconfigDATA
}

build_lvm2() {
	# libdevmapper only. --with-optimisation replaces lvm2's own -O2.
	./configure --prefix="$P" --libdir="$P/lib" --with-usrlibdir="$P/lib" "${sysdirs[@]}" \
		--disable-shared --enable-static_link --with-optimisation="$opt_level" \
		--disable-readline --disable-editline --disable-selinux --disable-udev_sync \
		--disable-udev_rules --disable-blkid_wiping --disable-nls --disable-dmeventd \
		--disable-cmdlib --disable-dmfilemapd --disable-systemd-journal --disable-app-machineid \
		--disable-sd-notify --disable-notify-dbus --disable-dbus-service --disable-lvmpolld \
		--disable-use-lvmpolld --disable-nvme-wwid
	make -j"$jobs" device-mapper
	make -C libdm install_static install_include install_pkgconfig
}

build_cryptsetup() {
	./autogen.sh # the tarball ships no configure
	# popt is checked unconditionally but used only by the command-line tools (not built).
	./configure "${ac_static[@]}" "${sysdirs[@]}" \
		--with-crypto_backend=nettle --enable-internal-sse-argon2 --disable-libargon2 \
		--disable-cryptsetup --disable-veritysetup --disable-integritysetup \
		--disable-ssh-token --disable-external-tokens --disable-asciidoc --disable-nls \
		--disable-udev --disable-selinux --disable-pwquality --disable-hw-opal --disable-fips \
		--disable-rpath ac_cv_lib_popt_poptConfigFileToString=yes
	make -j"$jobs" libcryptsetup.la
	make install-libLTLIBRARIES install-includeHEADERS install-pkgconfigDATA
}

build_tpm2_tss() {
	./bootstrap # needs autoconf-archive, libltdl-dev and dpkg-dev (VERSION from the changelog)
	./configure "${ac_static[@]}" "${sysdirs[@]}" \
		--with-crypto=mbed --enable-nodl --disable-fapi --disable-policy \
		--disable-tcti-pcap --disable-tcti-libtpms --disable-tcti-cmd --disable-tcti-spi-helper \
		--disable-tcti-spi-ltt2go --disable-tcti-spidev --disable-tcti-spi-ftdi \
		--disable-tcti-i2c-helper --disable-tcti-i2c-ftdi --disable-doxygen-doc --disable-unit \
		--disable-integration --disable-weakcrypto --with-maxloglevel=warning
	make -j"$jobs"
	# Not "make install": it runs systemd-sysusers/tmpfiles hooks for the tss user.
	make install-libLTLIBRARIES install-tss2HEADERS install-pkgconfigDATA
	# Every TCTI archive defines Tss2_Tcti_Info (the dlopen entry point, unused with
	# --enable-nodl), so linking two TCTIs statically fails with "multiple definition".
	local t
	for t in device mssim swtpm; do
		objcopy --localize-symbol=Tss2_Tcti_Info "$P/lib/libtss2-tcti-$t.a"
	done
}

# pkg-config modules a consumer may ask for; each must resolve before a prefix is used.
pc_modules=(mbedcrypto mbedtls mbedx509 nettle hogweed libisal zlib libzstd json-c libarchive
	libcurl libprotobuf-c uuid blkid devmapper libcryptsetup tss2-esys tss2-sys tss2-mu tss2-rc
	tss2-tctildr tss2-tcti-device tss2-tcti-mssim tss2-tcti-swtpm cocobox-tss2)

write_pkgconfig_wrapper() { # PREFIX: <prefix>/bin/pkg-config sees only <prefix>'s .pc files
	mkdir -p "$1/bin"
	cat >"$1/bin/pkg-config" <<-EOF
		#!/bin/sh
		# pkg-config for the cocobox static dependencies (written by deps/build.sh): only this
		# prefix's .pc files, never the host's, and always --static (private libs included).
		unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
		PKG_CONFIG_LIBDIR='$1/lib/pkgconfig' exec /usr/bin/pkg-config --static "\$@"
	EOF
	chmod 755 "$1/bin/pkg-config"
}

write_extra_pc() { # one module for all of tpm2-tss: the TCTI archives are in no .pc's Libs
	cat >"$P/lib/pkgconfig/cocobox-tss2.pc" <<-EOF
		# Written by cocobox deps/build.sh: tpm2-tss ESYS with the device, mssim and swtpm
		# TCTIs linked in (--enable-nodl: tctildr calls them directly, no dlopen).
		prefix=$P
		libdir=\${prefix}/lib
		includedir=\${prefix}/include

		Name: cocobox-tss2
		Description: tpm2-tss ESYS, RC, MU, TCTI loader and the device/mssim/swtpm TCTIs
		Version: $("$PKG_CONFIG" --modversion tss2-esys)
		# In link order: the TCTIs after esys/tctildr (which call their _Init), mu last.
		Requires: tss2-esys tss2-tctildr tss2-tcti-device tss2-tcti-mssim tss2-tcti-swtpm tss2-rc tss2-mu
		Cflags: -I\${includedir}
	EOF
}

write_native_file() { # PREFIX FILE COMPILER
	local args=
	[ "$fl" = musl ] && args="'-isystem', '$1/kinc'"
	cat >"$2" <<-EOF
		# meson native file for the cocobox dependencies in $1
		# (written by deps/build.sh): meson setup build --native-file $1/${2##*/}
		[binaries]
		c = '$3'
		pkgconfig = '$1/bin/pkg-config'

		[built-in options]
		c_args = [$args]
	EOF
}

# ---------------------------------------------------------------------------------------
# One flavour, in a subshell so its environment and traps stay its own.

build_flavour() {
	fl=$1
	prefix=$root/$key/$fl
	mkdir -p "$root/$key"
	exec 9>"$root/$key/$fl.lock"
	flock 9 # a second build of the same prefix waits, then finds it done
	[ -f "$prefix/$stamp" ] && return 0

	log=$root/$key/$fl.log
	: >"$log"
	local t0=$SECONDS
	P=$prefix.tmp
	work=$root/$key/build-$fl
	rm -rf "$P" "$work"
	mkdir -p "$work"
	# shellcheck disable=SC2154 # rc is assigned in the trap itself
	trap 'rc=$?; if [ $rc -ne 0 ]; then echo; echo "deps: $fl build FAILED; last lines of $log:";
		tail -n 60 "$log"; echo "deps: build tree kept in $work"; fi >&2' EXIT
	echo "deps: building $fl dependencies into $prefix (log: $log)" >&2

	fetch_all

	mkdir -p "$P/lib/pkgconfig" "$P/include"
	# No build-tree or .tmp paths in the archives (__FILE__ in asserts, debug info): the
	# libraries are the same whichever cache they were built in.
	local maps="-ffile-prefix-map=$work/= -ffile-prefix-map=$P=$prefix"
	if [ "$fl" = musl ]; then
		CC=musl-gcc
		opt_level=-Os
		opt_cflags="-Os -ffunction-sections -fdata-sections $maps"
		pic=OFF
		# musl-gcc uses -nostdinc, so /usr/include/linux is invisible: util-linux, libarchive,
		# lvm2, cryptsetup (AF_ALG, keyctl) and curl need these kernel headers.
		mkdir -p "$P/kinc"
		ln -s /usr/include/linux "$P/kinc/linux"
		ln -s /usr/include/asm-generic "$P/kinc/asm-generic"
		ln -s /usr/include/x86_64-linux-gnu/asm "$P/kinc/asm"
		CFLAGS="$opt_cflags -isystem $P/kinc"
	else
		CC=gcc
		opt_level=-O2
		opt_cflags="-O2 -g -fPIC -ffunction-sections -fdata-sections $maps"
		pic=ON
		CFLAGS=$opt_cflags
	fi
	export CC CFLAGS AR=ar RANLIB=ranlib
	export CPPFLAGS="-I$P/include" LDFLAGS="-L$P/lib"
	# configure link tests need the private libraries (--static), and must never see the
	# host's glibc .pc files: the same wrapper the consumers get.
	write_pkgconfig_wrapper "$P"
	export PKG_CONFIG=$P/bin/pkg-config
	ac_static=(--prefix="$P" --libdir="$P/lib" --disable-shared --enable-static)
	# Paths compiled into the libraries (blkid.conf, lock and run directories) must be the
	# guest's, not the cache's.
	sysdirs=(--sysconfdir=/etc --localstatedir=/var --runstatedir=/run)

	local n s
	for n in "${pin_names[@]}"; do
		s=$SECONDS
		printf 'deps: %-5s %-10s ' "$fl" "$n" >&2
		{
			echo "=== $fl $n ${pin_ver[$n]}"
			unpack "$n" "$work/$n"
			(cd "$work/$n" && set -x && "build_${n//-/_}")
		} >>"$log" 2>&1
		echo "$((SECONDS - s)) s" >&2
	done

	# Release binaries carry no debug info (nettle's and lvm2's -g included).
	[ "$fl" = musl ] && strip -g "$P"/lib/*.a
	write_extra_pc
	# libtool archives only carry build paths; nothing static needs them.
	rm -f "$P"/lib/*.la
	# Check the pkg-config modules now, while a failure still leaves no prefix behind.
	local m
	for m in "${pc_modules[@]}"; do
		"$P/bin/pkg-config" --exists "$m" || die "pkg-config module $m does not resolve"
	done
	"$P/bin/pkg-config" --libs "${pc_modules[@]}" >>"$log"

	# Everything was installed with the .tmp prefix: point the text files at the final one.
	# (This includes the pkg-config wrapper and the .pc files.)
	grep -rlIZ -F "$P" "$P" | xargs -0 -r sed -i "s|${P//./\\.}|$prefix|g"
	write_native_file "$prefix" "$P/meson-native.ini" "$CC"
	# glibc: the sanitizer/fuzz builds use clang. CC=clang does not override a native
	# file's "c" in meson, so give them their own file.
	[ "$fl" = glibc ] && write_native_file "$prefix" "$P/meson-native-clang.ini" clang

	{
		echo "key $key"
		echo "flavour $fl"
		echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) in $((SECONDS - t0)) s"
		grep -v '^#' "$here/pins" | grep -v '^$'
	} >"$P/$stamp"
	rm -rf "$prefix"
	mv "$P" "$prefix"
	rm -rf "$work"

	echo "deps: $fl done in $((SECONDS - t0)) s: $prefix" >&2
	local a total=0 sz
	for a in "$prefix"/lib/*.a; do
		sz=$(stat -c %s "$a")
		total=$((total + sz))
		printf 'deps:   %-26s %6d KiB\n' "${a##*/}" $((sz / 1024)) >&2
	done
	printf 'deps:   %-26s %6d KiB\n' total $((total / 1024)) >&2
}

for f in "${flavours[@]}"; do
	[ -f "$root/$key/$f/$stamp" ] || (build_flavour "$f") >&2
	echo "$root/$key/$f"
done

#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The one test command (README, .ci/run): set up the machine, build every flavour, run
# every suite, and end with "N passed, N failed". Run from anywhere, as root.
#   build/        musl static release binary (musl-gcc, -Werror), all suites
#   build-asan/   glibc, clang, ASan+UBSan (-Werror), unit suites, fuzz corpus replays and
#                 the allocation failure walk (tests/unit/alloc-torture.py)
#   build-tsan/   glibc, clang, ThreadSanitizer: the unit tests of the threaded code
#                 (ttrpc server and client, the layer pipeline)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash deps/setup.sh
musl=$(deps/build.sh --prefix musl)
glibc=$(deps/build.sh --prefix glibc)
# The initrd's static mke2fs (about 45 s once, then cached); the initrd and vm tests use it.
MKE2FS=$(deps/build-tools.sh)/sbin/mke2fs
export MKE2FS

. tests/build-dir.sh

rc=0
build_dir build "$musl/meson-native.ini" --buildtype=minsize -Ddebug=false -Db_staticpic=false --werror
ninja -C build
meson test -C build --print-errorlogs --num-processes 2 --no-suite torture || rc=1

build_dir build-asan "$glibc/meson-native-clang.ini" --buildtype=debug --werror \
	-Db_lto=false -Dstatic=false -Db_sanitize=address,undefined -Db_lundef=false -Dfuzz=true
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
ninja -C build-asan
meson test -C build-asan --print-errorlogs --num-processes 2 --suite unit --suite fuzz --suite torture || rc=1

build_dir build-tsan "$glibc/meson-native-clang.ini" --buildtype=debug --werror \
	-Db_lto=false -Dstatic=false -Db_sanitize=thread -Db_lundef=false
tsan_tests=(common/test-ttrpc-server common/test-ttrpc-client image/test-image-layer
	image/test-image-pull-layers)
ninja -C build-tsan "${tsan_tests[@]/#/tests/unit/}"
TSAN_OPTIONS=halt_on_error=1 meson test -C build-tsan --no-rebuild --print-errorlogs \
	ttrpc-server ttrpc-client image-layer image-pull-layers || rc=1

# Figures for the record (ratios against peers measured in this run); never a pass/fail.
bash bench/daemon.sh build 20 || true

python3 tests/summary.py build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
	build-tsan/meson-logs/testlog.json || rc=1
exit $rc

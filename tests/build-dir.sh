# SPDX-License-Identifier: Apache-2.0
# Sourced by tests/run.sh and tests/demo.sh: build_dir DIR NATIVE-FILE MESON-ARGS...
# configures DIR (log in DIR.setup.log). meson keeps a build dir's native file across
# --reconfigure, so a new dependency prefix (deps/pins or deps/build.sh changed) gets a
# fresh dir.
build_dir() {
	local dir=$1 native=$2
	shift 2
	if [ -f "$dir/build.ninja" ] && [ "$(cat "$dir/.cocobox-native" 2>/dev/null)" = "$native" ]; then
		meson setup --reconfigure "$dir" --native-file "$native" "$@" >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log"; return 1; }
	else
		rm -rf "$dir"
		meson setup "$dir" --native-file "$native" "$@" >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log"; return 1; }
		echo "$native" >"$dir/.cocobox-native"
	fi
}

#!/bin/sh
# rtfx-launch SERVER: a bad option is one line from rtfx-launch on stderr (GStreamer may log its own) and
# exit 2; --version and --help exit 0. The release server and the ASan one alike: a leak at such an early
# exit would turn it into LeakSanitizer's 1. TAP on stdout. Usage: bad-options.sh SERVER [ignored…]
server=$1
n=0
failed=0

# expect STATUS ARGS…: runs the server with ARGS and checks its exit status (and one line of error for 2).
expect() {
	want=$1
	shift
	n=$((n + 1))
	err=$(timeout 20 "$server" "$@" 2>&1 >/dev/null)
	got=$?
	lines=$(printf '%s\n' "$err" | grep -c '^rtfx-launch: ')
	if [ "$got" -eq "$want" ] && { [ "$want" -ne 2 ] || [ "$lines" -eq 1 ]; }; then
		echo "ok $n - $* -> $got"
	else
		echo "not ok $n - $* -> $got, not $want ($lines lines from rtfx-launch on stderr)"
		printf '%s\n' "$err" | sed 's/^/# /' | head -20
		failed=1
	fi
}

expect 0 --version
expect 0 --help
expect 2 --port 0x
expect 2 --mode both
expect 2 --turn-ttl 60
expect 2 --turn turn://127.0.0.1:3478
expect 2 --turn turn://u:p@127.0.0.1:3478 --turn-secret s3cret
expect 2 --page-texts /nonexistent/texts.json
expect 2 --video-size 640x4800
expect 2 --video-fps 0
expect 2 --record-in /nonexistent/rtfx
expect 2 'rtfxedges ! nosuchelement'
echo "1..$n"
exit $failed

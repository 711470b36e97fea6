#!/bin/sh
# The session bench (README.md in this folder), in network, PID and mount namespaces that have only lo:
#   bench/session/run.sh RTFX_LAUNCH OUTDIR [session-bench.mjs options: --rounds N, --short, ...]
# Makes OUTDIR/clip.y4m (make-clip.py) when it is missing or older than its maker, runs the sessions and
# writes OUTDIR/results.json. Exit status: session-bench.mjs's (0, 1 failed, 77 skipped, 99 set-up).
# Environment: RTFX_BENCH_TIMEOUT bounds the whole run (seconds, default 3600).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 2 ]; then
  echo "usage: $0 RTFX_LAUNCH OUTDIR [OPTIONS...]" >&2
  exit 99
fi
launcher=$(readlink -f "$1")
mkdir -p "$2"
out=$(cd "$2" && pwd)
shift 2

if [ "${RTFX_BENCH_INSIDE:-}" != 1 ]; then
  if [ ! -x "$launcher" ]; then
    echo "server binary $launcher is missing or not executable" >&2
    exit 99
  fi
  clip=$out/clip.y4m
  if [ ! -f "$clip" ] || [ "$here/make-clip.py" -nt "$clip" ]; then
    /usr/bin/python3 "$here/make-clip.py" "$clip" || exit 99
  fi
  # No figures of an earlier run taken for this one's.
  rm -f "$out/results.json"
  RTFX_BENCH_INSIDE=1 exec "$here/../../tests/launcher/run-in-netns.sh" "$0" "$launcher" "$out" "$@"
fi

# Inside: run-in-netns.sh has checked that lo is all there is. Firefox gathers only the address of its
# default route; on lo that is 127.0.0.1, and nothing can leave.
ip route replace default dev lo src 127.0.0.1

# A scratch HOME and TMPDIR for the browsers' profiles and caches.
scratch=$(mktemp -d /tmp/rtfx-bench.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
export HOME=$scratch TMPDIR=$scratch XDG_CONFIG_HOME=$scratch/.config XDG_CACHE_HOME=$scratch/.cache
export XDG_RUNTIME_DIR=$scratch/run
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY DISPLAY WAYLAND_DISPLAY
unset DBUS_SESSION_BUS_ADDRESS RTFX_BENCH_INSIDE
# The freshly built plugins next to the server, and one registry for all its starts (not one scan each).
if [ -z "${GST_PLUGIN_PATH_1_0:-}" ] && [ -d "$(dirname "$launcher")/../gst" ]; then
  GST_PLUGIN_PATH_1_0=$(readlink -f "$(dirname "$launcher")/../gst")
  export GST_PLUGIN_PATH_1_0
  export GST_PLUGIN_PATH=$GST_PLUGIN_PATH_1_0  # for the Python plugin loader's registry entry
fi
export GST_REGISTRY_1_0=${GST_REGISTRY_1_0:-$out/registry.bin}

status=0
timeout --kill-after=10 "${RTFX_BENCH_TIMEOUT:-3600}" node "$here/session-bench.mjs" --launcher "$launcher" \
  --clip "$out/clip.y4m" --out "$out/results.json" "$@" || status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "session bench: did not finish within ${RTFX_BENCH_TIMEOUT:-3600} s" >&2
  status=1
fi
exit "$status"

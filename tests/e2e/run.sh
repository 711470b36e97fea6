#!/usr/bin/env bash
# rtfx end-to-end browser tests, one scenario per invocation:
#   tests/e2e/run.sh SERVER_BINARY TEST_NAME
#   TEST_NAME: chromium-edges | firefox-edges | chromium-h264 | two-pages | closed-page | leaks |
#              bad-chain | controls-slider | preset-switch | isolated-sessions | faces |
#              ice-restricted | access | https | turn | nginx | first-frame | sendonly |
#              recvonly-live | recvonly-file | time-limit | audio | audio-sendonly |
#              audio-sync | connect-help | page-texts | page-narrow |
#              devices-switch | devices-size | devices-defaults | devices-resolution
#
# The scenario runs in its own network, PID and mount namespaces. The network namespace has only `lo`, so
# neither rtfx-launch nor a browser can reach another host; when this script ends, the kernel kills whatever it
# started. Exit status follows meson: 0 pass, 1 fail, 77 skipped (browser or namespaces unavailable), 99 set-up
# error. Needs: root (or user namespaces), iproute2, util-linux, node >= 18 with `npm ci` run in this folder,
# /usr/bin/chromium, /usr/bin/firefox-esr. Optional environment:
#   RTFX_E2E_BROWSER=firefox    run two-pages, closed-page, recvonly-live, audio and devices-size in Firefox
#                               (default chromium)
#   RTFX_E2E_SERVER_ARGS=...    more rtfx-launch arguments for the served scenarios (words, or a JSON array)
#   RTFX_E2E_TIMEOUT=SECONDS    bound on the whole scenario (default 105)
set -euo pipefail

self=$(readlink -f "${BASH_SOURCE[0]}")
here=$(dirname "$self")

if [ $# -ne 2 ]; then
  echo "usage: $0 SERVER_BINARY TEST_NAME" >&2
  exit 99
fi
server=$(readlink -f "$1")
name=$2

for tool in ip unshare node timeout; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed" >&2; exit 77; }
done

# True when no network interface but lo is visible: the namespace we want.
only_lo() {
  [ -z "$(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); if ($2 != "lo") print $2 }')" ]
}

if [ -z "${RTFX_E2E_ISOLATED:-}" ] && ! only_lo; then
  # Root gets the namespaces directly; anyone else through a user namespace where they are root.
  userns=()
  [ "$(id -u)" -eq 0 ] || userns=(--map-root-user)
  if ! unshare "${userns[@]}" --net --pid --fork --mount-proc true 2>/dev/null; then
    echo "SKIP: cannot create network and PID namespaces here (run as root, or enable user namespaces)" >&2
    exit 77
  fi
  export RTFX_E2E_ISOLATED=1
  unshare "${userns[@]}" --net --pid --fork --kill-child --mount-proc -- "$self" "$@" &
  ns=$!
  # unshare ignores SIGTERM while it waits for its child: hand the signal on to the namespace's first process,
  # which cleans up. (If unshare itself dies, --kill-child takes the whole namespace down with it.)
  forward() { kill -TERM $(cat /proc/"$ns"/task/*/children 2>/dev/null) 2>/dev/null || true; }
  trap forward TERM INT HUP
  while :; do
    status=0
    wait "$ns" || status=$?
    kill -0 "$ns" 2>/dev/null || exit "$status"
  done
fi

if ! only_lo; then
  echo "refusing to run: interfaces other than lo are visible: $(ip -o link show | awk -F': ' '{print $2}' | xargs)" >&2
  exit 99
fi
ip link set lo up
# Firefox gathers only the address of its default route; on lo that is 127.0.0.1, and nothing can leave.
ip route replace default dev lo src 127.0.0.1

if [ ! -x "$server" ]; then
  echo "server binary $1 is missing or not executable" >&2
  exit 99
fi

# A scratch HOME and TMPDIR: browsers and GStreamer write caches and profiles there, not in the real home.
scratch=$(mktemp -d /tmp/rtfx-e2e.XXXXXX)
node_pid=
cleanup() {
  trap - TERM INT HUP
  if [ -n "$node_pid" ]; then
    kill -TERM "$node_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$node_pid" 2>/dev/null || true
  fi
  rm -rf "$scratch"
}
trap 'cleanup; exit 1' TERM INT HUP
trap cleanup EXIT

export HOME=$scratch TMPDIR=$scratch XDG_CONFIG_HOME=$scratch/.config XDG_CACHE_HOME=$scratch/.cache
export XDG_RUNTIME_DIR=$scratch/run
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY DISPLAY WAYLAND_DISPLAY
unset DBUS_SESSION_BUS_ADDRESS

# Run by hand, find the freshly built plugins the way meson's test environment does.
if [ -z "${GST_PLUGIN_PATH_1_0:-}" ] && [ -d "$(dirname "$server")/../gst" ]; then
  GST_PLUGIN_PATH_1_0=$(readlink -f "$(dirname "$server")/../gst")
  export GST_PLUGIN_PATH_1_0
  # The Python plugin loader's registry entry follows GST_PLUGIN_PATH only (rtfxpyfilter).
  export GST_PLUGIN_PATH=$GST_PLUGIN_PATH_1_0
fi
export GST_REGISTRY_1_0=${GST_REGISTRY_1_0:-$scratch/registry.bin}

# The node script bounds every wait itself; this bound is for a node that hangs anyway.
timeout --kill-after=5 "${RTFX_E2E_TIMEOUT:-105}" node "$here/e2e.mjs" "$server" "$name" &
node_pid=$!
set +e
wait "$node_pid"
status=$?
set -e
node_pid=
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "FAIL $name: did not finish within ${RTFX_E2E_TIMEOUT:-105} s" >&2
  status=1
fi
exit "$status"

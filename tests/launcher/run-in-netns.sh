#!/bin/sh
# Runs a command in network, PID and mount namespaces of its own, where the only network is `lo`:
#   tests/launcher/run-in-netns.sh COMMAND [ARG...]
# so a test can neither bind nor reach an address of the machine's real interfaces (webrtcbin
# gathers ICE candidates on every interface it sees). When COMMAND ends, so does everything it
# started: this script is PID 1 of the namespace and exits right after COMMAND.
#
# Exit status is COMMAND's, or 77 (meson: skipped) when namespaces cannot be made here, or 99
# (set-up error). With RUN_IN_NETNS_TAP=1 a skip is the TAP plan "1..0 # SKIP ..." and status 0
# instead, which is what meson's TAP protocol takes as a skip.
set -eu

skip() {
  echo "SKIP: $1" >&2
  if [ "${RUN_IN_NETNS_TAP:-}" = 1 ]; then
    echo "1..0 # SKIP $1"
    exit 0
  fi
  exit 77
}

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 99
fi

for tool in unshare ip; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
done

# True when lo is the only interface in sight.
only_lo() {
  [ "$(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }')" = lo ]
}

if [ "${RUN_IN_NETNS_INSIDE:-}" != "$$" ]; then
  # Root gets the namespaces directly; anyone else through a user namespace in which they are root.
  userns=
  [ "$(id -u)" -eq 0 ] || userns=--map-root-user
  if ! unshare $userns --net --pid --fork --mount-proc true 2>/dev/null; then
    skip "cannot create network and PID namespaces here (run as root, or enable user namespaces)"
  fi
  # Inside, this script runs again as PID 1 of the new PID namespace. The marker holds that PID,
  # so a marker inherited from anywhere else cannot skip the unshare.
  exec env RUN_IN_NETNS_INSIDE=1 \
    unshare $userns --net --pid --fork --kill-child --mount-proc -- "$0" "$@"
fi

if ! only_lo; then
  others=$(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | xargs)
  echo "refusing to run: interfaces other than lo are visible: $others" >&2
  exit 99
fi
ip link set lo up
unset RUN_IN_NETNS_INSIDE
# Not exec: as PID 1, COMMAND would ignore the signals it sends itself (abort() in a failed
# assertion), and the kernel would not deliver meson's SIGTERM to it either.
status=0
"$@" || status=$?
exit "$status"

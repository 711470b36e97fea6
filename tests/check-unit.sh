#!/bin/sh
# deploy/rtfx-launch.service must pass `systemd-analyze verify` (with ExecStart pointed at the built
# binary, since the installed one may not exist here). Skips (77) without systemd-analyze.
set -eu
unit=$1 binary=$(readlink -f "$2")
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|/usr/local/bin/rtfx-launch|$binary|" "$unit" > "$dir/rtfx-launch.service"
out=$(systemd-analyze verify --man=no "$dir/rtfx-launch.service" 2>&1) || { echo "$out"; exit 1; }
# verify also warns without failing; any line about our unit is a failure.
if printf '%s\n' "$out" | grep -q "rtfx-launch.service"; then echo "$out"; exit 1; fi
echo "ok: $unit"

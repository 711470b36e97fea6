#!/bin/sh
# The Debian packages `make deb` built, installed on this machine and checked the way a GStreamer
# user meets them, then purged, leaving the machine as it was:
#   packages.sh DEB_DIR RUN_IN_NETNS
# Installed: gst-inspect-1.0 finds rtfxedges (and rtfxpyfilter, with the Python plugin loader) in
# GStreamer's plugin directory with no GST_PLUGIN_PATH and a registry made from nothing;
# rtfx-launch --version runs, and the installed server answers /status (in a namespace with only
# lo); man finds rtfx-launch(1), which names every option (man-options.sh); the presets' Python
# filters are there; the unit passes systemd-analyze verify and is not enabled.
# Purged: no rtfx package left, and the plugin directory and the unit's places list what they
# listed before. Skips (77) when not root, with no packages in DEB_DIR, or with rtfx packages
# installed already (this test would remove them).
set -eu
deb_dir=$1 run_in_netns=$2
packages="gstreamer1.0-rtfx rtfx-launch"

skip() { echo "SKIP: $1"; exit 77; }
known() { dpkg-query -W -f='${db:Status-Status}\n' "$1" 2>/dev/null | grep -qv '^not-installed$'; }
fail() { echo "FAIL: $1"; failed=1; }

[ "$(id -u)" -eq 0 ] || skip "installing packages needs root"
debs=
for p in $packages; do
  deb=$(ls "$deb_dir"/"$p"_*.deb 2>/dev/null | head -n 1)
  [ -n "$deb" ] || skip "no $p package in $deb_dir: run make deb first"
  debs="$debs $(readlink -f "$deb")"
done
for p in $packages; do
  known "$p" && skip "$p is installed on this machine already: not replacing it"
done

plugin_dir=$(pkg-config --variable=pluginsdir gstreamer-1.0)
unit=/lib/systemd/system/rtfx-launch.service
# What the package may touch, listed before and after.
state() {
  find "$plugin_dir" /usr/bin /lib/systemd/system /etc/systemd/system /usr/share/rtfx \
    /usr/share/man/man1 2>/dev/null | grep rtfx | sort || true
}
before=$(state)
work=$(mktemp -d)
failed=0
apt_get() { apt-get -q -y -o DPkg::Lock::Timeout=120 "$@"; }
cleanup() {
  installed=
  for p in $packages; do known "$p" && installed="$installed $p"; done
  if [ -n "$installed" ]; then
    apt_get purge $installed >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; failed=1; }
  fi
  rm -rf "$work"
}
trap 'cleanup' EXIT

# Only the two packages: what they need must be here already (make deps installs it), so nothing
# is downloaded. (apt-get's --no-download would say so, but it refuses local files.)
echo "installing:$debs"
would=$(apt-get install -s --no-install-recommends $debs 2>&1 | sed -n 's/^Inst \([^ ]*\).*/\1/p' | sort | xargs)
if [ "$would" != "gstreamer1.0-rtfx rtfx-launch" ]; then
  echo "FAIL: installing them would install: $would (make deps installs what they need)"
  exit 1
fi
if ! apt_get install --no-install-recommends $debs >"$work/install.log" 2>&1; then
  cat "$work/install.log"
  echo "FAIL: the packages did not install"
  exit 1
fi

# GStreamer as an application started from nothing sees it: no plugin path, a new registry.
clean_gst() {
  env -u GST_PLUGIN_PATH -u GST_PLUGIN_PATH_1_0 -u GST_PLUGIN_SYSTEM_PATH \
    -u GST_PLUGIN_SYSTEM_PATH_1_0 -u GST_PLUGIN_LOADING_WHITELIST \
    GST_REGISTRY_1_0="$work/registry.bin" HOME="$work" "$@"
}
# (With a merged /usr, GStreamer may name it by /lib.)
found=$(clean_gst gst-inspect-1.0 rtfxedges 2>&1 | tee "$work/inspect.log" | sed -n 's/^ *Filename *//p')
if [ -n "$found" ] && [ "$(readlink -f "$found")" = "$(readlink -f "$plugin_dir/libgstrtfx.so")" ]; then
  echo "ok: gst-inspect-1.0 rtfxedges finds $plugin_dir/libgstrtfx.so"
else
  head -n 30 "$work/inspect.log"
  fail "gst-inspect-1.0 rtfxedges does not find $plugin_dir/libgstrtfx.so"
fi
if [ -f "$plugin_dir/libgstpython.so" ]; then
  if clean_gst gst-inspect-1.0 rtfxpyfilter >"$work/py.log" 2>&1; then
    echo "ok: gst-inspect-1.0 rtfxpyfilter"
  else
    head -n 30 "$work/py.log"
    fail "gst-inspect-1.0 rtfxpyfilter (the Python plugin loader is installed)"
  fi
else
  echo "rtfxpyfilter not checked: gstreamer1.0-python3-plugin-loader is not installed"
fi

if version=$(clean_gst /usr/bin/rtfx-launch --version); then echo "ok: $version"
else fail "rtfx-launch --version"; fi
# The installed server starts on the installed plugin and answers.
status=$(clean_gst "$run_in_netns" /usr/bin/python3 -c '
import json, subprocess, sys, time, urllib.request
server = subprocess.Popen(["/usr/bin/rtfx-launch", "--port", "8080"], stdout=subprocess.DEVNULL)
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    for _ in range(100):
        if server.poll() is not None:
            sys.exit("rtfx-launch exited with status %d" % server.returncode)
        try:
            print(json.load(opener.open("http://127.0.0.1:8080/status", timeout=2)))
            break
        except OSError:
            time.sleep(0.2)
    else:
        sys.exit("no /status within 20 s")
finally:
    server.terminate()
    server.wait(10)
') && echo "ok: the installed rtfx-launch answers /status: $status" ||
  fail "the installed rtfx-launch did not answer /status"

if page=$(man -w rtfx-launch 2>&1); then
  echo "ok: man finds $page"
  "$(dirname "$0")/man-options.sh" /usr/bin/rtfx-launch "$page" || fail "the installed man page"
else
  fail "man does not find rtfx-launch(1)"
fi
for script in edges.py qrcode.py faces.py; do
  [ -f "/usr/share/rtfx/examples/python/$script" ] ||
    fail "no /usr/share/rtfx/examples/python/$script for the py-* presets"
done
[ -f "$unit" ] || fail "no $unit"
if command -v systemd-analyze >/dev/null; then
  if systemd-analyze verify "$unit" >"$work/verify.log" 2>&1 && ! grep -q rtfx-launch "$work/verify.log"
  then echo "ok: systemd-analyze verify $unit"
  else cat "$work/verify.log"; fail "systemd-analyze verify $unit"; fi
fi
enabled=$(systemctl is-enabled rtfx-launch.service 2>&1 || true)
if [ "$enabled" = disabled ]; then echo "ok: the unit is installed, not enabled"
else fail "the unit is '$enabled', not disabled"; fi

trap - EXIT
cleanup
for p in $packages; do
  known "$p" && fail "$p is still known to dpkg after the purge: $(dpkg -l "$p" | tail -n 1)"
done
after=$(state)
if [ "$before" != "$after" ]; then
  fail "files differ from before the install:"
  printf 'before:\n%s\nafter:\n%s\n' "$before" "$after"
fi
[ "$failed" -eq 0 ] && echo "ok: installed, checked and purged; nothing of rtfx left"
exit "$failed"

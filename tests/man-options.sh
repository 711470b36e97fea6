#!/bin/sh
# rtfx-launch(1) names every option --help-all lists, with the examples section, so the man page
# cannot fall behind the options (help2man makes it from --help-all; this catches a build that
# reused a stale page or a help text help2man could not read).
#   man-options.sh RTFX_LAUNCH MAN_PAGE
set -eu
binary=$1 page=$2
command -v man >/dev/null || { echo "SKIP: man is not installed"; exit 77; }
text=$(MANWIDTH=1000 man -l "$page" 2>/dev/null) || { echo "man cannot read $page"; exit 1; }
options=$(GST_PLUGIN_SYSTEM_PATH_1_0= "$binary" --help-all |
  sed -n 's/^ *\(-[a-z], \)\{0,1\}\(--[a-z0-9-]*\).*/\2/p')
[ -n "$options" ] || { echo "--help-all listed no options"; exit 1; }
missing=0 count=0
for option in $options; do
  count=$((count + 1))
  printf '%s\n' "$text" | grep -q -e "^ *\(-[a-z], \)\{0,1\}$option\b" ||
    { echo "not in the man page: $option"; missing=1; }
done
for section in EXAMPLES 'SEE ALSO'; do
  printf '%s\n' "$text" | grep -q "^$section\$" || { echo "no $section section"; missing=1; }
done
[ "$missing" -eq 0 ] && echo "ok: the $count options of --help-all are in $page"
exit "$missing"

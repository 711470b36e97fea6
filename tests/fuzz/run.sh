#!/bin/sh
# Runs one fuzz target of tests/fuzz:
#   tests/fuzz/run.sh BINARY WORK_DIR [LIBFUZZER_OPTION...]
# First replays every input of tests/fuzz/crashes/TARGET (bugs found before: each must now pass),
# then fuzzes from tests/fuzz/corpus/TARGET with the target's dictionary and input size limit and
# the options given (e.g. -runs=1000000). New inputs and crash reproducers go under
# WORK_DIR/TARGET, never into the source tree.
# Exit status: 0; 1 on a crash, after a line naming the reproducer; 77 (meson: skipped) when
# BINARY is not built (make test builds it; see tests/fuzz/README.md); 99 on a usage error.
set -u

if [ $# -lt 2 ]; then
  echo "usage: $0 BINARY WORK_DIR [LIBFUZZER_OPTION...]" >&2
  exit 99
fi
binary=$1 work=$2
shift 2
target=$(basename "$binary")
here=$(cd "$(dirname "$0")" && pwd)

if [ ! -x "$binary" ]; then
  echo "SKIP: $binary is not built (make fuzz, or: CC=clang meson setup build-fuzz -Dfuzzing=enabled)"
  exit 77
fi

# A websocket message may be 64 KiB (RTFX_MESSAGE_MAX_SIZE), and so may the offer it carries; a few
# more bytes reach the size check's other side. Control messages are short.
case $target in
  fuzz-message) dict=json.dict max_len=65600 ;;
  fuzz-controls) dict=json.dict max_len=4096 ;;
  fuzz-offer) dict=sdp.dict max_len=65536 ;;
  *) echo "$0: unknown fuzz target $target" >&2; exit 99 ;;
esac

# libFuzzer checks each input for leaks, with a reproducer for each (the set-up's allocations are
# not leaks: fuzz-common.c). Not at exit: GLib drops its quark table's old block each time the
# table grows (gquark.c), which an offer's new fmtp names make it do. The fast unwinder stops in
# GLib: replay a leak with ASAN_OPTIONS=fast_unwind_on_malloc=0 for its whole stack.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-leak_check_at_exit=0}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

artifacts=$work/$target/artifacts
found=$work/$target/corpus
mkdir -p "$artifacts" "$found"

crashes=$here/crashes/$target
for input in "$crashes"/*; do
  [ -f "$input" ] || continue
  if ! "$binary" "$input" >"$work/$target/replay.log" 2>&1; then
    cat "$work/$target/replay.log"
    echo "FAILED: $target still crashes on $input, a bug found before (replay: $binary $input)"
    exit 1
  fi
done
rm -f "$work/$target/replay.log"

start=$(mktemp "$work/$target/start.XXXXXX")
"$binary" -dict="$here/$dict" -max_len=$max_len -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "$@" "$found" "$here/corpus/$target"
status=$?
if [ $status -ne 0 ]; then
  reproducer=$(find "$artifacts" -type f -newer "$start" | head -n 1)
  if [ -n "$reproducer" ]; then
    echo "FAILED: $target crashed; reproducer: $reproducer"
    echo "replay: ASAN_OPTIONS=fast_unwind_on_malloc=0 $binary $reproducer"
  else
    echo "FAILED: $target stopped with status $status and wrote no reproducer"
  fi
  rm -f "$start"
  exit 1
fi
rm -f "$start"

#!/usr/bin/env python3
"""docs/tutorial-c.md, followed as a reader would: examples/c-filter copied to a directory of its
own (so it can only build against the installed GStreamer), `meson setup build` and `meson compile
-C build` there, with no compiler warning; gst-inspect-1.0 shows the live property, gst-launch-1.0
runs it; its GstHarness tests (myinvert-check); rtfx-launch offers its property to the page
(myinvert-launch, in a loopback-only namespace); and every C and meson excerpt of the tutorial is
in the example's files, verbatim. TAP output, one line a step.

  c-filter-tutorial.py EXAMPLE_DIR TUTORIAL WORK_DIR MESON CHECK [NETNS LAUNCH_CHECK RTFX_LAUNCH OFFER]

GST_PLUGIN_PATH_1_0 must lead to the rtfx plugin; the example's build directory is put before it.
"""
import os
import re
import shutil
import subprocess
import sys

STEP_TIMEOUT_S = 120
SKIP = 77


class Tap:
    def __init__(self, planned):
        self.n = 0
        self.failed = False
        print(f"1..{planned}", flush=True)

    def result(self, ok, name, detail=""):
        self.n += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} - {name}", flush=True)
        if not ok:
            self.failed = True
            for line in detail.rstrip().splitlines():
                print(f"# {line}", flush=True)
        return ok

    def skip(self, name, why):
        self.n += 1
        print(f"ok {self.n} - {name} # SKIP {why}", flush=True)


def run(args, cwd=None, env=None):
    """(exit status, stdout and stderr together) of a command, which must end in time."""
    try:
        done = subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=STEP_TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        return -1, f"{args[0]}: no end within {STEP_TIMEOUT_S} s\n{e.output or ''}"
    return done.returncode, done.stdout


def code_blocks(markdown):
    """The ```c and ```meson blocks of the tutorial."""
    return re.findall(r"^```(?:c|meson)\n(.*?)^```$", markdown, re.M | re.S)


def example_files(example):
    return sorted(name for name in os.listdir(example)
                  if os.path.isfile(os.path.join(example, name)))


def main():
    if len(sys.argv) not in (6, 10):
        print(__doc__, file=sys.stderr)
        return 99
    example, tutorial, work, meson, check = sys.argv[1:6]
    launcher = sys.argv[6:]

    tap = Tap(7)
    # The reader's copy: a directory outside rtfx, built in its own subdirectory.
    shutil.rmtree(work, ignore_errors=True)
    source = os.path.join(work, "c-filter")
    # Its files only: a build directory left there by someone following the tutorial is not ours.
    os.makedirs(source)
    for name in example_files(example):
        shutil.copy(os.path.join(example, name), source)
    build = os.path.join(source, "build")

    status, out = run([meson, "setup", "build"], cwd=source)
    if not tap.result(status == 0, "meson setup build", out):
        return 1
    status, out = run([meson, "compile", "-C", "build"], cwd=source)
    tap.result(status == 0 and "warning:" not in out,
               "meson compile -C build, with no warning", out)

    env = dict(os.environ)
    env["GST_PLUGIN_PATH_1_0"] = os.pathsep.join(
        [build] + [p for p in [env.get("GST_PLUGIN_PATH_1_0")] if p])

    status, out = run(["gst-inspect-1.0", "myinvert"], env=env)
    strength = re.search(r"^  strength .*\n.*flags: (.*)$", out, re.M)
    tap.result(status == 0 and strength is not None and
               "controllable" in strength.group(1) and "PLAYING" in strength.group(1),
               "gst-inspect-1.0 myinvert: strength is controllable and changeable in PLAYING",
               out)

    status, out = run(["gst-launch-1.0", "videotestsrc", "num-buffers=5", "!", "myinvert",
                       "strength=0.5", "!", "fakesink"], env=env)
    tap.result(status == 0, "gst-launch-1.0 videotestsrc ! myinvert ! fakesink", out)

    check_env = dict(env, GST_TRACERS="leaks", GST_DEBUG="GST_TRACER:2,*:1",
                     CK_DEFAULT_TIMEOUT="60")
    status, out = run([check], env=check_env)
    tap.result(status == 0, "myinvert-check: the picture is what the strength says", out)

    if not launcher:
        tap.skip("rtfx-launch offers myinvert.strength", "the launcher is not built")
    else:
        netns, launch_check, rtfx_launch, offer = launcher
        status, out = run([netns, launch_check, rtfx_launch, offer], env=env)
        if status == SKIP:
            tap.skip("rtfx-launch offers myinvert.strength", out.strip().splitlines()[-1])
        else:
            tap.result(status == 0, "rtfx-launch offers myinvert.strength", out)

    with open(tutorial, encoding="utf-8") as f:
        blocks = code_blocks(f.read())
    files = {}
    for name in example_files(example):
        with open(os.path.join(example, name), encoding="utf-8") as f:
            files[name] = f.read()
    missing = [b for b in blocks if not any(b in text for text in files.values())]
    tap.result(len(blocks) > 0 and not missing,
               f"the tutorial's {len(blocks)} code excerpts are in examples/c-filter verbatim",
               "".join(f"not found:\n{b}" for b in missing))
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())

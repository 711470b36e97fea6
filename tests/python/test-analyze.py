#!/usr/bin/python3
"""analyze() at its own pace. Frame i holds the level i+1 in every byte; analyze() reports the
level of the frame it got, and process() writes the level of the newest results into the frame's
last column (0 before the first results), so each output frame says which analysis it was given.
process() takes a twentieth of an analysis's time, as a camera's frames would come.

- async (the default): every frame passes while a slow analyze() (200 ms) sees a few of them; a
  frame is only ever given results of itself or of an earlier frame, newer and newer; at EOS the
  newest frame is analysed and its message comes before EOS;
- sync: each frame is analysed first and carries its own results, one message per frame;
- analyze() alone: frames pass untouched;
- stopping while analyze() runs ends the thread; the script's mistakes are errors naming the line.
Counts and orders only, no clock."""
import tempfile
import threading

import numpy as np

from pyharness import Gst, check, run, script_chain, write

FRAMES = 60
LEVELS = [np.full((48, 64, 3), i + 1, np.uint8) for i in range(FRAMES)]

MARKS = """import time

DELAY = {delay}


def analyze(frame, params):
    time.sleep(DELAY)
    return {{"level": int(frame[0, 0, 0])}}


def process(frame, params, results):
    time.sleep(DELAY / 20)
    frame[:, -1] = 0 if results is None else results["level"]
"""

ONLY_ANALYZE = "def analyze(frame, params):\n    return {'mean': float(frame.mean())}\n"

# name: (script text, substrings the error text must hold)
BROKEN = {
    "analyze_raises.py": ("def analyze(frame, params):\n    return 1 / 0\n",
                          ["analyze_raises.py, line 2, in analyze", "ZeroDivisionError"]),
    "analyze_writes.py": ("def analyze(frame, params):\n    frame[0, 0] = 1\n",
                          ["analyze_writes.py, line 2, in analyze", "read-only"]),
    "analyze_list.py": ("\ndef analyze(frame, params):\n    return [1]\n",
                        ["analyze_list.py, line 2, analyze() returned a list"]),
    "analyze_unfit.py": ("def analyze(frame, params):\n    return {'x': None}\n",
                         ["analyze_unfit.py, line 1, analyze() returned results that fit no "
                          "message", "results['x'] is a NoneType"]),
    "process_two.py": ("def analyze(frame, params):\n    return {}\n\n\n"
                       "def process(frame, params):\n    pass\n",
                       ["process_two.py, line 5", "process(frame, params, results)"]),
}


def marks(result):
    return [int(frame[0, -1, 0]) for frame in result.frames]


def levels(result):
    return [m.get_value("level") for m in result.messages if m.get_name() == "rtfx/marks"]


def check_async(path):
    result = run(script_chain(path), LEVELS)
    got, reported = marks(result), levels(result)
    check(result.error is None and len(result.frames) == FRAMES,
          f"async: all {len(result.frames)} of {FRAMES} frames passed ({result.error})")
    check(2 <= len(reported) < FRAMES // 2,
          f"async: {len(reported)} analyses of {FRAMES} frames: the video did not wait for them")
    check(all(m <= i + 1 for i, m in enumerate(got)),
          "async: a frame is given results of itself or of an earlier frame, never a later one")
    check(got == sorted(got) and got[0] == 0 and got[-1] > 0,
          f"async: newer and newer results from none (marks {sorted(set(got))})")
    check(set(got) - {0} <= set(reported), "async: the frames carry results that were posted")
    check(reported == sorted(reported) and reported[-1] == FRAMES,
          f"async: at EOS the newest frame was analysed, its message before EOS ({reported})")


def check_sync(path):
    result = run(script_chain(path, "analysis=sync"), LEVELS)
    want = list(range(1, FRAMES + 1))
    check(result.error is None and marks(result) == want,
          "sync: every frame carries its own results")
    check(levels(result) == want, "sync: one message per frame, in order")


def check_stop(path):
    """NULL while analyze() sleeps: the thread is joined, none is left."""
    pipeline = Gst.parse_launch(
        "videotestsrc is-live=true ! video/x-raw,width=64,height=48,framerate=30/1 ! "
        f"videoconvert ! {script_chain(path)} ! fakesink")
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(60 * Gst.SECOND,
                                                Gst.MessageType.ELEMENT | Gst.MessageType.ERROR)
    check(msg is not None and msg.type == Gst.MessageType.ELEMENT, "stop: a first analysis done")
    ret = pipeline.set_state(Gst.State.NULL)
    left = [t.name for t in threading.enumerate() if t.name == "rtfxpy-analysis"]
    check(ret == Gst.StateChangeReturn.SUCCESS and not left,
          f"stop: NULL while analyze() runs returns, no analysis thread left ({left})")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        check_async(write(tmp, "marks.py", MARKS.format(delay=0.2)))
        check_sync(write(tmp, "marks.py", MARKS.format(delay=0)))
        check_stop(write(tmp, "marks.py", MARKS.format(delay=0.5)))

        result = run(script_chain(write(tmp, "only.py", ONLY_ANALYZE)), LEVELS)
        check(result.error is None and all(np.array_equal(a, b)
                                           for a, b in zip(result.frames, LEVELS)),
              "analyze() alone: every frame passes untouched")
        means = [m.get_value("mean") for m in result.messages]
        check(means and set(means) <= set(range(1, FRAMES + 1)),
              f"analyze() alone: {len(means)} rtfx/only messages")

        result = run(script_chain(write(tmp, "marks.py", MARKS.format(delay=0)),
                                  "analysis=bogus"), LEVELS)
        check(not result.started and "analysis=bogus" in result.error[0],
              f"analysis=bogus: refused when the pipeline starts ({result.error})")

        for name, (text, wanted) in BROKEN.items():
            result = run(script_chain(write(tmp, name, text)), LEVELS)
            check(result.error is not None and all(w in result.error[0] for w in wanted),
                  f"{name}: the error says {wanted} ({result.error and result.error[0]})")


if __name__ == "__main__":
    main()

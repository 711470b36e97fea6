#!/usr/bin/python3
"""examples/python/cartoon.py through a real pipeline: the picture changes (flattened colours, dark
outlines), and it is exactly what the script's process() gives on the same frame outside GStreamer
(so the frame reached it whole and its result came back whole), with and without outlines."""
import importlib.util
import os
import types

import cv2
import numpy as np

from pyharness import EXAMPLES, check, run, script_chain

PICTURE = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg"


def load(path):
    spec = importlib.util.spec_from_file_location("cartoon_direct", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    script = os.path.join(EXAMPLES, "cartoon.py")
    frame = cv2.resize(cv2.imread(PICTURE), (640, 480), interpolation=cv2.INTER_AREA)
    direct = load(script)
    for outlines in (True, False):
        values = {name: entry[0] if isinstance(entry, tuple) else entry
                  for name, entry in direct.PARAMS.items()}
        values["outlines"] = outlines
        want = direct.process(frame.copy(), types.SimpleNamespace(**values))
        result = run(script_chain(script, f"params::outlines={str(outlines).lower()}"), [frame])
        check(result.error is None, f"outlines={outlines}: no error ({result.error})")
        got = result.frames[0]
        changed = float(np.mean(np.any(got != frame, axis=2)))
        check(changed > 0.5, f"outlines={outlines}: {changed:.0%} of the pixels changed")
        check(np.array_equal(got, want),
              f"outlines={outlines}: equal to process() called directly "
              f"({int(np.count_nonzero(got != want))} bytes differ)")
        if outlines:
            dark = float(np.mean(np.all(got == 0, axis=2)))
            check(dark > 0.02, f"outlines drawn in black ({dark:.1%} of the pixels)")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""examples/python/edges.py through a real pipeline gives exactly cv2.Canny of the same frames, in both
modes, at 640x480 and at 642x480 (whose BGR rows are padded to 1928 bytes: the frame array must
follow the stride), with thresholds set as params::low and params::high."""
import os

import cv2
import numpy as np

from pyharness import EXAMPLES, check, run, script_chain

DATA = "/usr/share/doc/opencv-doc/examples/data"


def pictures(width, height):
    for name in ("messi5.jpg", "fruits.jpg"):
        img = cv2.imread(os.path.join(DATA, name))
        check(img is not None, f"test picture {name} (opencv-doc) is there")
        yield cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)


def expected(frame, low, high, mode):
    edges = cv2.Canny(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), low, high)
    if mode == "edges":
        return cv2.cvtColor(edges, cv2.COLOR_GRAY2BGR)
    out = frame.copy()
    out[edges > 0] = 255
    return out


def main():
    script = os.path.join(EXAMPLES, "edges.py")
    for width, height in ((640, 480), (642, 480)):
        frames = list(pictures(width, height))
        for low, high, mode in ((100, 200, "edges"), (50, 150, "overlay")):
            chain = script_chain(script, f"params::low={low} params::high={high} params::mode={mode}")
            result = run(chain, frames)
            check(result.error is None, f"{width}x{height} {mode}: no error ({result.error})")
            check(len(result.frames) == len(frames), f"{width}x{height} {mode}: every frame out")
            for i, (frame, got) in enumerate(zip(frames, result.frames)):
                want = expected(frame, low, high, mode)
                differ = int(np.count_nonzero(want != got))
                edge_pixels = int(np.count_nonzero(want != frame))
                check(differ == 0 and edge_pixels > 1000,
                      f"{width}x{height} {mode} low={low} high={high} frame {i}: equal to "
                      f"cv2.Canny ({differ} bytes differ; {edge_pixels} changed by the filter)")


if __name__ == "__main__":
    main()

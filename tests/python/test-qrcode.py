#!/usr/bin/python3
"""examples/python/qrcode.py through a real pipeline: a frame holding a QR code made with OpenCV's
encoder gives an rtfx/qrcode message with the code's text and a box around it, and the code
outlined in green; a frame with no code gives an empty list."""
import os

import numpy as np

from pyharness import EXAMPLES, check, run, script_chain
from qrframe import qr_frame

TEXT = "rtfx qrcode test 4711"


def inside(got, want):
    """got lies within want and covers most of it (zbar's corners sit a little inside the code)."""
    x, y, w, h = got
    wx, wy, ww, wh = want
    return (wx <= x and wy <= y and x + w <= wx + ww and y + h <= wy + wh
            and w >= 0.75 * ww and h >= 0.75 * wh)


def main():
    frame, box = qr_frame(TEXT)
    empty = np.full_like(frame, 90)
    result = run(script_chain(os.path.join(EXAMPLES, "qrcode.py")), [frame, empty])
    check(result.error is None, f"no error ({result.error})")
    messages = [m for m in result.messages if m.get_name() == "rtfx/qrcode"]
    check(len(messages) == 2, f"one rtfx/qrcode message per frame ({len(messages)})")
    codes = messages[0].get_value("codes")
    check(len(codes) == 1, f"one code found in the first frame ({len(codes)})")
    code = codes[0]
    check(code.get_value("text") == TEXT, f"its text is {TEXT!r} ({code.get_value('text')!r})")
    got = tuple(code.get_value(k) for k in ("x", "y", "width", "height"))
    check(inside(got, box), f"its box {got} is on the code, {box}")
    green = np.all(result.frames[0] == (0, 255, 0), axis=2)
    check(int(green.sum()) > 1000, f"the code is outlined in green ({int(green.sum())} pixels)")
    check(len(messages[1].get_value("codes")) == 0, "no code in the empty frame")


if __name__ == "__main__":
    main()

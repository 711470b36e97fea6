#!/usr/bin/python3
"""examples/python/motion.py through a real pipeline: on a still picture it reports no motion once the
background is learnt; with a textured square moving over the same picture it reports a moving box around the
square, outlined in red in the picture."""
import os

import cv2
import numpy as np

from pyharness import EXAMPLES, check, run, script_chain

PICTURE = "/usr/share/doc/opencv-doc/examples/data/fruits.jpg"
FRAMES = 40
SIDE = 40


def background():
    img = cv2.imread(PICTURE)
    check(img is not None, "test picture fruits.jpg (opencv-doc) is there")
    return cv2.resize(img, (320, 240), interpolation=cv2.INTER_AREA)


# Textured, so that every pixel of the square changes as it moves, not only its edges.
TEXTURE = np.random.default_rng(7).integers(0, 256, (SIDE, SIDE, 3), dtype=np.uint8)


def square_at(picture, i):
    frame = picture.copy()
    x, y = 20 + 6 * i, 100
    frame[y:y + SIDE, x:x + SIDE] = TEXTURE
    return frame, (x, y)


def main():
    script = os.path.join(EXAMPLES, "motion.py")
    picture = background()

    still = run(script_chain(script), [picture] * FRAMES)
    check(still.error is None, f"still picture: no error ({still.error})")
    moving = [len(m.get_value("moving")) for m in still.messages if m.get_name() == "rtfx/motion"]
    check(len(moving) == FRAMES, f"still picture: one rtfx/motion message per frame ({len(moving)})")
    check(sum(moving[5:]) == 0, f"still picture: no motion after the first frames ({moving})")

    frames, places = zip(*(square_at(picture, i) for i in range(FRAMES)))
    result = run(script_chain(script), list(frames))
    check(result.error is None, f"moving square: no error ({result.error})")
    messages = [m for m in result.messages if m.get_name() == "rtfx/motion"]
    check(len(messages) == FRAMES, f"moving square: one message per frame ({len(messages)})")
    for i in range(5, FRAMES):
        boxes = messages[i].get_value("moving")
        check(len(boxes) == 1, f"frame {i}: motion reported, area {messages[i].get_value('area'):.4f}")
        box = [boxes[0].get_value(k) for k in ("x", "y", "width", "height")]
        x, y = places[i]
        around = box[0] <= x and box[1] <= y and x + SIDE <= box[0] + box[2] + 1 \
            and y + SIDE <= box[1] + box[3] + 1 and box[2] * box[3] < 4 * (SIDE + 12) ** 2
        check(around, f"frame {i}: the box {box} is around the square at {(x, y)}")
    red = np.all(result.frames[-1] == (0, 0, 255), axis=2)
    check(int(red.sum()) > 4 * SIDE, f"the moving area is outlined in red ({int(red.sum())} pixels)")


if __name__ == "__main__":
    main()

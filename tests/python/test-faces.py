#!/usr/bin/python3
"""examples/python/faces.py through a real pipeline, on messi5.jpg (opencv-doc) letterboxed to
640x480 as a camera would give it: with analysis=sync every frame's own rtfx/faces message finds
the face where the picture has it, and its box is drawn; with the default async analysis every
frame of a camera-paced stream passes, the analyses are counted 1, 2, 3…, and the frames after
the first result carry the box; with draw=false nothing is drawn; a black picture has no face."""
import os

import cv2
import numpy as np

from pyharness import EXAMPLES, check, run, script_chain

PICTURE = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg"
FRAMES = 30
GREEN = (0, 255, 0)


def camera_picture():
    img = cv2.imread(PICTURE)
    check(img is not None, "test picture messi5.jpg (opencv-doc) is there")
    height, width = img.shape[:2]
    scale = min(640 / width, 480 / height)
    small = cv2.resize(img, (round(width * scale), round(height * scale)),
                       interpolation=cv2.INTER_AREA)
    frame = np.zeros((480, 640, 3), np.uint8)
    y, x = (480 - small.shape[0]) // 2, (640 - small.shape[1]) // 2
    frame[y:y + small.shape[0], x:x + small.shape[1]] = small
    return frame


def faces(result):
    return [m for m in result.messages if m.get_name() == "rtfx/faces"]


def boxes(message):
    return [(f.get_value("x"), f.get_value("y"), f.get_value("width"), f.get_value("height"))
            for f in message.get_value("faces")]


def drawn(frame, box):
    """The box's top edge is green in the frame."""
    x, y, width, _ = box
    return bool(np.all(frame[y, x:x + width] == GREEN))


def in_place(box):
    # The face in messi5.jpg letterboxed to 640x480 is in the upper middle of the picture (as the
    # e2e test faces has it for rtfxfacedetect).
    x, y, width, _ = box
    return 20 <= width <= 200 and 200 <= x <= 440 and 60 <= y <= 300


def main():
    script = os.path.join(EXAMPLES, "faces.py")
    picture = camera_picture()

    result = run(script_chain(script, "analysis=sync"), [picture] * FRAMES)
    messages = faces(result)
    check(result.error is None and len(messages) == FRAMES,
          f"sync: one rtfx/faces message per frame ({len(messages)}, {result.error})")
    found = [boxes(m) for m in messages]
    check(all(len(b) >= 1 and any(in_place(box) for box in b) for b in found),
          f"sync: every frame's face is where the picture has it ({found[0]})")
    check([m.get_value("analyses") for m in messages] == list(range(1, FRAMES + 1)),
          "sync: the analyses are counted 1, 2, 3…")
    check(all(drawn(frame, b[0]) for frame, b in zip(result.frames, found)),
          "sync: every frame has its face's box drawn")

    result = run(script_chain(script), [picture] * FRAMES, paced=True)
    messages = faces(result)
    check(result.error is None and len(result.frames) == FRAMES,
          f"async: all {len(result.frames)} frames passed ({result.error})")
    check(1 <= len(messages) <= FRAMES and
          [m.get_value("analyses") for m in messages] == list(range(1, len(messages) + 1)),
          f"async: {len(messages)} analyses, counted 1, 2, 3…")
    box = boxes(messages[0])[0]
    marked = [drawn(frame, box) for frame in result.frames]
    check(marked == sorted(marked) and marked[-1], "async: no box before the first result, then "
          f"a box on every frame ({marked.count(True)} of {FRAMES} frames)")

    result = run(script_chain(script, "analysis=sync params::draw=false"), [picture] * 3)
    check(result.error is None and all(np.array_equal(f, picture) for f in result.frames),
          "draw=false: the frames pass untouched")
    check(len(faces(result)) == 3 and all(boxes(m) for m in faces(result)),
          "draw=false: the faces are still reported")

    result = run(script_chain(script, "analysis=sync"), [np.zeros_like(picture)] * 3)
    check(result.error is None and [boxes(m) for m in faces(result)] == [[], [], []],
          "a black picture: every message says no face")


if __name__ == "__main__":
    main()

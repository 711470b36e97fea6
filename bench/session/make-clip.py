#!/usr/bin/python3
"""The camera clip of the session bench: Chromium's fake camera plays it in a loop
(--use-file-for-fake-video-capture), and every frame carries its own number, stamped so that it can
be read back from the video the server returns, processed or not.

  make-clip.py OUT.y4m [--frames 300]

Writes OUT.y4m (640x480, 30 fps, 4:2:0) and OUT.json, the stamp's layout for the reader
(session-bench.mjs), which finds everything it needs there.

The picture is OpenCV's vtest.avi sample (Debian package opencv-doc), one source frame per clip
frame (so people walk three times as fast as filmed, and every frame differs from the last).

The stamp is a band over the top of the picture: two rows of cells. The top row holds the frame
number in binary (least significant bit first, then an even-parity bit), the bottom row the same
bits inverted. A 1 is a checkerboard of black and white squares, a 0 flat grey. Flat against
textured rather than white against black, because that difference survives what the servers do
to a picture: an edge detector turns flat grey into black and a checkerboard into a grid of lines,
a cartoon filter keeps the grid as dark lines, and a codec at a low bitrate blurs squares aligned
to its 16x16 macroblocks but does not flatten them. The reader compares the spread of luma (its
standard deviation) inside each cell with that of the cell below it, so it needs no threshold
tuned to a server, and a frame is readable only if every pair clearly differs and the parity
holds.
"""
import argparse
import json
import os
import sys

import cv2
import numpy as np

SOURCE = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
WIDTH, HEIGHT, FPS = 640, 480, 30
CELLS = 10                  # per row: COUNTER_BITS bits and the parity bit
COUNTER_BITS = CELLS - 1
CELL_W, CELL_H = WIDTH // CELLS, 32
SQUARE = 16                 # checkerboard squares, aligned to the codecs' macroblocks
BLACK, WHITE, GREY = 16, 235, 128
# What the reader looks at inside a cell: away from its borders, where the edges between a flat
# cell and a textured neighbour are.
MARGIN = 6


def stamp_bits(number):
    bits = [(number >> i) & 1 for i in range(COUNTER_BITS)]
    return bits + [sum(bits) & 1]


def draw_stamp(luma, chroma_u, chroma_v, number):
    """Draws the band into the planes of one I420 frame (chroma neutral, so only luma matters)."""
    checker = ((np.arange(CELL_H)[:, None] // SQUARE + np.arange(CELL_W)[None, :] // SQUARE) % 2)
    textured = np.where(checker == 0, BLACK, WHITE).astype(np.uint8)
    for row, invert in ((0, False), (1, True)):
        for i, bit in enumerate(stamp_bits(number)):
            y, x = row * CELL_H, i * CELL_W
            on = bool(bit) != invert
            luma[y:y + CELL_H, x:x + CELL_W] = textured if on else GREY
    band_rows = 2 * CELL_H
    chroma_u[:band_rows // 2] = 128
    chroma_v[:band_rows // 2] = 128


def frames(count):
    cap = cv2.VideoCapture(SOURCE)
    if not cap.isOpened():
        sys.exit(f"cannot read {SOURCE}: install opencv-doc")
    n = 0
    while n < count:
        ok, bgr = cap.read()
        if not ok:
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            continue
        yield cv2.resize(bgr, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
        n += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("--frames", type=int, default=300)
    args = parser.parse_args()
    if not 2 <= args.frames <= 1 << COUNTER_BITS:
        sys.exit(f"--frames must be between 2 and {1 << COUNTER_BITS}")

    tmp = args.out + ".part"
    with open(tmp, "wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for number, bgr in enumerate(frames(args.frames)):
            i420 = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420)
            luma = i420[:HEIGHT]
            chroma = i420[HEIGHT:].reshape(2, HEIGHT // 2, WIDTH // 2)
            draw_stamp(luma, chroma[0], chroma[1], number)
            out.write(b"FRAME\n")
            out.write(i420.tobytes())
    layout = {
        "frames": args.frames, "width": WIDTH, "height": HEIGHT, "fps": FPS,
        # Fractions of the picture, so that the reader works at whatever size the video arrives.
        "stamp": {
            "cells": CELLS, "counterBits": COUNTER_BITS,
            "cellHeight": CELL_H / HEIGHT, "marginX": MARGIN / WIDTH, "marginY": MARGIN / HEIGHT,
        },
    }
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(layout, f, indent=1)
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()

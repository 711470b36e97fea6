#!/usr/bin/python3
"""Writes a Y4M clip (640x480, 30 fps, I420) of a QR code holding a known text, for Chromium's
--use-file-for-fake-video-capture (the browser test of examples/python/qrcode.py). A small square
moves along the bottom edge, so that the clip is not one frame repeated.

usage: make-qr-clip.py OUTPUT.y4m [--text TEXT] [--seconds N]"""
import argparse

import cv2

from qrframe import qr_frame

WIDTH, HEIGHT, FPS = 640, 480, 30
TEXT = "rtfx qrcode e2e"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--text", default=TEXT)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    picture, _ = qr_frame(args.text, WIDTH, HEIGHT)
    with open(args.output, "wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for i in range(round(args.seconds * FPS)):
            frame = picture.copy()
            x = (i * 8) % (WIDTH - 16)
            frame[HEIGHT - 24:HEIGHT - 8, x:x + 16] = (255, 255, 255)
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())


if __name__ == "__main__":
    main()

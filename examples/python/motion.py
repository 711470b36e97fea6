"""Motion: what moves against a learnt background (OpenCV's MOG2) is outlined in red, its size sent.

Every frame posts a message rtfx/motion: "moving", a list of one box around everything that moved
(empty when nothing did), and "area", the fraction of the picture that moved. Each session learns
its own background: the subtractor is made in start(), in this session's own copy of the module.
A chain for rtfx-launch: rtfxpyfilter script=examples/python/motion.py"""
import cv2
import numpy as np

PARAMS = {
    "sensitivity": (16.0, 1.0, 100.0),
    "min_area": (0.002, 0.0, 1.0),
}
PARAM_DOCS = {
    "sensitivity": "How far (squared distance in the model's units) a pixel must be from the "
                   "background to count as moving: lower sees smaller changes",
    "min_area": "Fraction of the picture that must move before anything is reported",
}

subtractor = None
kernel = np.ones((3, 3), np.uint8)


def start():
    global subtractor
    subtractor = cv2.createBackgroundSubtractorMOG2(history=300, detectShadows=False)


def process(frame, params):
    subtractor.setVarThreshold(params.sensitivity)
    mask = subtractor.apply(frame)
    # Single pixels that flicker with camera noise are not motion.
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    area = cv2.countNonZero(mask) / mask.size
    moving = []
    if area > params.min_area:
        x, y, width, height = cv2.boundingRect(mask)
        moving.append({"x": x, "y": y, "width": width, "height": height})
        cv2.rectangle(frame, (x, y), (x + width - 1, y + height - 1), (0, 0, 255), 2)
    return frame, {"moving": moving, "area": area}

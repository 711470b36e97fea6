"""Canny edges with OpenCV: white edges on black, or drawn in white over the picture.

A chain for rtfx-launch: rtfxpyfilter script=examples/python/edges.py params::low=50
(rtfxedges does the same in C, bit-identical and several times faster: docs/tutorial-python.md)."""
import cv2

PARAMS = {
    "low": (100, 0, 1000),
    "high": (200, 0, 1000),
    "mode": ["edges", "overlay"],
}
PARAM_DOCS = {
    "low": "Lower hysteresis threshold: a pixel whose gradient exceeds it joins an edge started "
           "by a strong pixel",
    "high": "Upper hysteresis threshold: a pixel whose gradient exceeds it starts an edge",
    "mode": "edges: white edges on black; overlay: the edges drawn over the picture",
}


def process(frame, params):
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    edges = cv2.Canny(gray, params.low, params.high)
    if params.mode == "overlay":
        frame[edges > 0] = 255
        return frame
    return cv2.cvtColor(edges, cv2.COLOR_GRAY2BGR)

"""QR codes read with zbar: each one outlined in green, its text and box sent to the page.

Every frame posts a message rtfx/qrcode with a list "codes" of {text, x, y, width, height}
(empty when there is none), so the page's list follows what the camera sees.
OpenCV's cv2.QRCodeDetector would be the obvious choice, but Debian's OpenCV 4.6 is built without
the quirc library it decodes with ("Library QUIRC is not linked. No decoding is performed"), so
this uses zbar's Python module (Debian's python3-zbar), which also finds the code's corners.
A chain for rtfx-launch: rtfxpyfilter script=examples/python/qrcode.py"""
import cv2
import numpy as np
import zbar

PARAMS = {"outline": True}
PARAM_DOCS = {"outline": "Draw a green outline around each code found"}

scanner = None


def start():
    global scanner
    scanner = zbar.ImageScanner()
    scanner.parse_config("disable")
    scanner.parse_config("qrcode.enable")


def process(frame, params):
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    image = zbar.Image(gray.shape[1], gray.shape[0], "Y800", gray.tobytes())
    scanner.scan(image)
    codes = []
    for symbol in image:
        corners = np.array(symbol.location, np.int32)
        x, y, width, height = cv2.boundingRect(corners)
        codes.append({"text": symbol.data, "x": x, "y": y, "width": width, "height": height})
        if params.outline:
            cv2.polylines(frame, [cv2.convexHull(corners)], True, (0, 255, 0), 3)
    return frame, {"codes": codes}

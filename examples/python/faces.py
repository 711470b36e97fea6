"""Faces: OpenCV's Haar cascade looks for faces at its own pace; every frame shows the newest boxes.

analyze() runs in rtfxpyfilter's own thread, on a copy of the newest frame, and takes what time
it needs (about 40 ms at 640x480); meanwhile every frame passes at the camera's rate and
process() draws the boxes of the newest analysis on it. Each analysis posts rtfx/faces
{"faces": [{x, y, width, height}, ...], "analyses": n}, also when it found none, so that "no face"
differs from "no news". The cascade is OpenCV's (Debian package opencv-data).
A chain for rtfx-launch: rtfxpyfilter script=examples/python/faces.py"""
import cv2

CASCADE = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"

PARAMS = {
    "min_size": (30, 24, 1000),
    "neighbors": (4, 1, 20),
    "draw": True,
}
PARAM_DOCS = {
    "min_size": "Smallest face looked for, in pixels of the frame",
    "neighbors": "Overlapping detections needed to call it a face: higher finds fewer, surer faces",
    "draw": "Draw a box around each face (the messages are posted either way)",
}

# Each scale 1.2 times the last: twice as fast as 1.1, and the faces of a webcam are still found.
SCALE_FACTOR = 1.2

cascade = None
analyses = 0


def start():
    global cascade, analyses
    cascade = cv2.CascadeClassifier(CASCADE)
    if cascade.empty():
        raise RuntimeError(f"cannot read {CASCADE} (Debian package opencv-data)")
    analyses = 0


def analyze(frame, params):
    global analyses
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    found = cascade.detectMultiScale(gray, scaleFactor=SCALE_FACTOR,
                                     minNeighbors=params.neighbors,
                                     minSize=(params.min_size, params.min_size))
    analyses += 1
    faces = [{"x": int(x), "y": int(y), "width": int(w), "height": int(h)} for x, y, w, h in found]
    return {"faces": faces, "analyses": analyses}


def process(frame, params, results):
    if results is None or not params.draw:
        return
    for face in results["faces"]:
        x, y = face["x"], face["y"]
        cv2.rectangle(frame, (x, y), (x + face["width"] - 1, y + face["height"] - 1),
                      (0, 255, 0), 2)

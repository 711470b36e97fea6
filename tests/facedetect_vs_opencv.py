#!/usr/bin/python3
"""rtfxfacedetect must find exactly what OpenCV's
cv2.CascadeClassifier(cascade).detectMultiScale2(gray, scale_factor, min_neighbors, 0, (min, min), (max, max))
finds: the same boxes with the same neighbour counts, on photographs and video frames, for cascades of
every kind opencv-data ships (stumps, deeper trees, 45° features, the old XML layout, a non-square
window) and for several parameter sets.

Each case goes through a real gst-launch-1.0 pipeline (rawvideoparse ! rtfxfacedetect analysis=sync !
fakesink, with -m to print the rtfx/faces messages of every frame), so the element's plumbing is tested
along with its kernels, searching on as many threads as it takes by default. Exit
77 (meson's "skip") when OpenCV's Python bindings are missing."""
import os
import re
import subprocess
import sys
import tempfile

try:
    import cv2
    import numpy as np
except ImportError as e:
    print(f"SKIP: {e}")
    sys.exit(77)

DATA = "/usr/share/doc/opencv-doc/examples/data"
CASCADES = "/usr/share/opencv4/haarcascades"
FACE = re.compile(r"face, x=\(int\)(-?\d+), y=\(int\)(-?\d+), width=\(int\)(\d+), "
                  r"height=\(int\)(\d+), neighbors=\(int\)(\d+)")

# (cascade, pictures, scale factor, min neighbours, min size, max size)
CASES = [
    ("haarcascade_frontalface_default.xml", "messi", 1.1, 3, 30, 0),
    ("haarcascade_frontalface_default.xml", "megamind", 1.1, 3, 30, 0),
    ("haarcascade_frontalface_default.xml", "messi", 1.05, 0, 24, 0),
    ("haarcascade_frontalface_default.xml", "megamind", 1.3, 1, 0, 100),
    ("haarcascade_frontalface_default.xml", "megamind", 2.5, 0, 0, 0),
    ("haarcascade_frontalface_alt2.xml", "megamind", 1.1, 3, 30, 0),
    ("haarcascade_eye_tree_eyeglasses.xml", "messi", 1.1, 2, 0, 0),
    ("haarcascade_eye.xml", "megamind", 1.2, 3, 0, 0),
    ("haarcascade_fullbody.xml", "vtest", 1.1, 2, 0, 0),
    ("haarcascade_upperbody.xml", "vtest", 1.1, 1, 0, 0),
    ("haarcascade_licence_plate_rus_16stages.xml", "messi", 1.1, 0, 0, 0),
    ("haarcascade_russian_plate_number.xml", "vtest", 1.05, 0, 0, 0),
    ("haarcascade_smile.xml", "messi", 1.2, 5, 0, 0),
    ("haarcascade_profileface.xml", "messi", 1.1, 0, 0, 0),
]


def video_frames(name, count, size):
    cap = cv2.VideoCapture(os.path.join(DATA, name))
    frames = []
    while len(frames) < count:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(cv2.resize(frame, size), cv2.COLOR_BGR2GRAY))
    if len(frames) < count:
        sys.exit(f"could not read {count} frames of {name}: install opencv-doc")
    return frames


def pictures():
    messi = cv2.imread(os.path.join(DATA, "messi5.jpg"), cv2.IMREAD_GRAYSCALE)
    if messi is None:
        sys.exit("missing messi5.jpg: install opencv-doc")
    return {
        "messi": [messi],
        "megamind": video_frames("Megamind.avi", 6, (640, 480))[::2],
        "vtest": video_frames("vtest.avi", 2, (640, 480)),
    }


def rtfxfacedetect(frames, cascade, sf, mn, min_size, max_size, workdir):
    h, w = frames[0].shape
    src = os.path.join(workdir, "in.raw")
    np.stack(frames).tofile(src)
    pipeline = (f"filesrc location={src} blocksize={w * h} ! "
                f"rawvideoparse format=gray8 width={w} height={h} framerate=1/1 ! "
                f"rtfxfacedetect analysis=sync cascade={cascade} scale-factor={sf} min-neighbors={mn} "
                f"min-size={min_size} max-size={max_size} draw=false ! fakesink")
    out = subprocess.run(["gst-launch-1.0", "-m"] + pipeline.split(), check=True, timeout=300,
                         capture_output=True, text=True).stdout
    found = []
    for line in out.splitlines():
        if "rtfx/faces" in line:
            found.append(sorted(tuple(map(int, m)) for m in FACE.findall(line.replace("\\", ""))))
    if len(found) != len(frames):
        sys.exit(f"{len(found)} rtfx/faces messages for {len(frames)} frames:\n{out}")
    return found


def main():
    pics = pictures()
    failures = 0
    with tempfile.TemporaryDirectory() as workdir:
        for name, pic, sf, mn, min_size, max_size in CASES:
            cascade = os.path.join(CASCADES, name)
            classifier = cv2.CascadeClassifier(cascade)
            got = rtfxfacedetect(pics[pic], cascade, sf, mn, min_size, max_size, workdir)
            objects = differ = 0
            for frame, mine in zip(pics[pic], got):
                rects, neighbors = classifier.detectMultiScale2(
                    frame, sf, mn, 0, (min_size, min_size), (max_size, max_size))
                want = sorted(tuple(int(v) for v in r) + (int(n),) for r, n in zip(rects, neighbors))
                objects += len(want)
                if want != mine:
                    differ += 1
                    print(f"  OpenCV {want}\n  rtfx   {mine}")
            status = "ok" if differ == 0 else "MISMATCH"
            print(f"{status:8} {name} on {pic} scale-factor={sf} min-neighbors={mn} "
                  f"min-size={min_size} max-size={max_size}: {objects} objects in "
                  f"{len(pics[pic])} frames, {differ} frames differ")
            failures += differ != 0
    print(f"{failures} mismatching cases")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""rtfxedges must give exactly what OpenCV's cv2.Canny(gray, low, high, apertureSize=3, L2gradient=False)
gives, on real photographs, noise and synthetic shapes, for many threshold pairs.

Each picture goes through a real gst-launch-1.0 pipeline (rawvideoparse ! rtfxedges ! filesink), so the
element's plumbing is tested along with its kernel. Exit 77 (meson's "skip") when OpenCV's Python
bindings are missing."""
import os
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
THRESHOLDS = [(100, 200), (50, 150), (10, 30), (0, 0), (200, 100), (50.7, 120.3), (300, 900)]


def pictures():
    rng = np.random.default_rng(1234)
    for name in ("messi5.jpg", "building.jpg", "fruits.jpg", "chessboard.png"):
        img = cv2.imread(os.path.join(DATA, name), cv2.IMREAD_GRAYSCALE)
        if img is None:
            sys.exit(f"missing test picture {name}: install opencv-doc")
        yield name, img[:, : img.shape[1] // 4 * 4]
    yield "noise", rng.integers(0, 256, (120, 160), dtype=np.uint8)
    yield "smooth-noise", cv2.GaussianBlur(rng.integers(0, 256, (240, 320), dtype=np.uint8), (0, 0), 2)
    shapes = np.full((100, 128), 40, np.uint8)
    cv2.circle(shapes, (40, 50), 25, 200, -1)
    cv2.rectangle(shapes, (80, 10), (120, 90), 120, -1)
    yield "shapes", shapes
    yield "flat", np.full((64, 64), 77, np.uint8)


def rtfxedges(img, low, high, workdir):
    h, w = img.shape
    src, dst = os.path.join(workdir, "in.raw"), os.path.join(workdir, "out.raw")
    img.tofile(src)
    pipeline = (f"filesrc location={src} blocksize={w * h} ! "
                f"rawvideoparse format=gray8 width={w} height={h} framerate=1/1 ! "
                f"rtfxedges low-threshold={low} high-threshold={high} ! filesink location={dst}")
    subprocess.run(["gst-launch-1.0", "-q"] + pipeline.split(), check=True, timeout=60)
    return np.fromfile(dst, np.uint8).reshape(h, w)


def main():
    failures = 0
    with tempfile.TemporaryDirectory() as workdir:
        for name, img in pictures():
            for low, high in THRESHOLDS:
                want = cv2.Canny(img, low, high, apertureSize=3, L2gradient=False)
                got = rtfxedges(img, low, high, workdir)
                diff = int(np.count_nonzero(want != got))
                status = "ok" if diff == 0 else "MISMATCH"
                print(f"{status:8} {name:14} {img.shape[1]}x{img.shape[0]} low={low} high={high}: "
                      f"{int(np.count_nonzero(want))} edge pixels, {diff} differ")
                failures += diff != 0
    print(f"{failures} mismatching cases")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

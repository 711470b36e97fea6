#!/usr/bin/python3
"""make bench, Python filters: what a frame costs through rtfxpyfilter, side by side in one run.

The same 640x480 I420 frames (decoded from OpenCV's vtest.avi, held in memory) go through
  - videoconvert to BGR and back, with nothing between (the conversions rtfxpyfilter needs),
  - the same with rtfxpyfilter running bench/python/untouched.py (process() returns the frame),
  - rtfxedges, and the same conversions around rtfxpyfilter running examples/python/edges.py,
pinned to one core, and the CPU milliseconds per frame of each are printed (the best of ROUNDS) (the cost of pushing
frames through appsrc to fakesink, measured with identity, taken off). And the GIL: edges.py in
one pipeline, and in two pipelines of this one process at once, on every core: frames per second
of each pipeline."""
import os
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402
import cv2  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INPUT = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
WIDTH, HEIGHT, COUNT = 640, 480, 300
# Other sessions share the machine: the chains run in interleaved rounds and each keeps its best
# round, the one least disturbed.
ROUNDS = 5
UNTOUCHED = os.path.join(ROOT, "bench", "python", "untouched.py")
EDGES = os.path.join(ROOT, "examples", "python", "edges.py")


def python(script):
    return f"videoconvert ! rtfxpyfilter script={script} ! videoconvert"


CHAINS = {
    "identity": "identity",
    "conversions": "videoconvert ! video/x-raw,format=BGR ! videoconvert",
    "untouched.py": python(UNTOUCHED),
    "rtfxedges": "rtfxedges low-threshold=100 high-threshold=200",
    "edges.py": python(EDGES),
}


def frames():
    capture = cv2.VideoCapture(INPUT)
    out = []
    while len(out) < COUNT:
        ok, frame = capture.read()
        if not ok:
            capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            continue
        frame = cv2.resize(frame, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
        out.append(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    return out


def pipeline(chain):
    p = Gst.parse_launch(
        f"appsrc name=src format=time caps=video/x-raw,format=I420,width={WIDTH},"
        f"height={HEIGHT},framerate=30/1 ! {chain} ! fakesink sync=false")
    return p


def play(p, data):
    """Pushes every frame and waits for EOS; an error ends the bench."""
    src = p.get_by_name("src")
    p.set_state(Gst.State.PLAYING)
    for i, raw in enumerate(data):
        buf = Gst.Buffer.new_wrapped(raw)
        buf.pts = i * Gst.SECOND // 30
        src.emit("push-buffer", buf)
    src.emit("end-of-stream")
    msg = p.get_bus().timed_pop_filtered(300 * Gst.SECOND,
                                         Gst.MessageType.EOS | Gst.MessageType.ERROR)
    if msg is None or msg.type == Gst.MessageType.ERROR:
        sys.exit(f"bench failed: {msg.parse_error()[0].message if msg else 'timeout'}")
    p.set_state(Gst.State.NULL)


def cpu_ms_per_frame(chain, data):
    p = pipeline(chain)
    start = time.process_time()
    play(p, data)
    return (time.process_time() - start) * 1000 / len(data)


def fps_each(n, data):
    """Frames per second of each of n edges.py pipelines played at once in this process."""
    pipes = [pipeline(python(EDGES)) for _ in range(n)]
    threads = [threading.Thread(target=play, args=(p, data)) for p in pipes]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(data) / (time.monotonic() - start)


def main():
    Gst.init(None)
    os.environ.setdefault("OPENCV_FOR_THREADS_NUM", "1")
    cv2.setNumThreads(1)
    data = frames()
    # The GIL first, on every core: GStreamer's streaming threads come from a pool and keep the
    # affinity of the thread that made them, so once made on one core they stay there.
    cpu_ms_per_frame(python(EDGES), data[:30])
    one = two = 0
    for _ in range(ROUNDS):
        one = max(one, fps_each(1, data))
        two = max(two, fps_each(2, data))
    cores = len(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {0})
    for chain in CHAINS.values():  # warm-up: plugin loading, first-use page faults
        cpu_ms_per_frame(chain, data[:30])
    ms = {name: float("inf") for name in CHAINS}
    for _ in range(ROUNDS):
        for name, chain in CHAINS.items():
            ms[name] = min(ms[name], cpu_ms_per_frame(chain, data))
    base = ms.pop("identity")
    ms = {name: value - base for name, value in ms.items()}
    print(f"Python filters, {COUNT} frames {WIDTH}x{HEIGHT} I420 from {INPUT}, one core, "
          f"CPU ms per frame (pushing frames, {base:.2f} ms, taken off):")
    for name, value in ms.items():
        print(f"  {name:40} {value:7.2f} ms")
    print(f"  {'Python itself (untouched.py - conversions)':40} "
          f"{ms['untouched.py'] - ms['conversions']:7.2f} ms")
    print(f"  {'ratio edges.py / rtfxedges':40} {ms['edges.py'] / ms['rtfxedges']:7.2f}x")
    print(f"The GIL: edges.py pipelines in one process, on {cores} cores, frames/s of each:")
    print(f"  {'one pipeline':40} {one:7.1f}")
    print(f"  {'two pipelines at once, each':40} {two:7.1f} ({2 * two / one:.2f}x one's throughput)")


if __name__ == "__main__":
    main()

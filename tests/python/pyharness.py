"""Runs BGR frames through a chain holding rtfxpyfilter, in this process, and keeps what comes out:
the output frames, the element messages, the warnings and the first error. Every wait is bounded."""
import os
import sys
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import GObject, Gst, GstVideo  # noqa: E402,F401 (GObject for the tests)
import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples", "python")
TIMEOUT = 60 * Gst.SECOND

Gst.init(None)


def video_info(width, height, fmt="BGR", fps=30):
    caps = Gst.Caps.from_string(
        f"video/x-raw,format={fmt},width={width},height={height},framerate={fps}/1")
    return GstVideo.VideoInfo.new_from_caps(caps)


def view(mapping, info):
    """The BGR picture of a mapped buffer, rows padded as GstVideoInfo says."""
    return np.ndarray((info.height, info.width, 3), np.uint8, mapping.data, info.offset[0],
                      (info.stride[0], 3, 1))


def to_buffer(frame, info, index):
    buf = Gst.Buffer.new_allocate(None, info.size, None)
    mapping = buf.map(Gst.MapFlags.WRITE)
    picture = view(mapping, info)
    picture[:] = frame
    del picture
    buf.unmap(mapping)
    buf.pts = index * Gst.SECOND // info.fps_n * info.fps_d
    buf.duration = Gst.SECOND // info.fps_n * info.fps_d
    return buf


def from_sample(sample):
    info = GstVideo.VideoInfo.new_from_caps(sample.get_caps())
    buf = sample.get_buffer()
    mapping = buf.map(Gst.MapFlags.READ)
    picture = view(mapping, info).copy()
    buf.unmap(mapping)
    return picture


class Result:
    def __init__(self):
        self.frames = []
        self.messages = []   # the structures of element messages, in order
        self.warnings = []   # texts
        self.error = None    # (text, debug) of the first error
        self.started = True  # whether the pipeline left NULL


def run(chain, frames, fps=30, paced=False):
    """Pushes frames (H x W x 3 uint8 arrays) through appsrc ! chain ! appsink, to EOS or an error;
    paced: one every 1/fps s, as a camera gives them, rather than all at once."""
    height, width = frames[0].shape[:2] if frames else (48, 64)
    info = video_info(width, height, fps=fps)
    pipeline = Gst.parse_launch(
        f"appsrc name=src format=time caps={info.to_caps().to_string().replace(' ', '')} ! "
        f"{chain} ! appsink name=sink sync=false emit-signals=true caps=video/x-raw,format=BGR")
    result = Result()
    # Pulled as they come: appsink holds EOS back until its queue is empty.
    pipeline.get_by_name("sink").connect(
        "new-sample", lambda sink: result.frames.append(
            from_sample(sink.emit("pull-sample"))) or Gst.FlowReturn.OK)
    result.started = pipeline.set_state(Gst.State.PLAYING) != Gst.StateChangeReturn.FAILURE
    if result.started:
        src = pipeline.get_by_name("src")
        for i, frame in enumerate(frames):
            src.emit("push-buffer", to_buffer(frame, info, i))
            if paced:
                time.sleep(1 / fps)
        src.emit("end-of-stream")
    collect(pipeline, result)
    pipeline.set_state(Gst.State.NULL)
    return result


def collect(pipeline, result):
    """Bus messages into result, until EOS, an error or the timeout."""
    bus = pipeline.get_bus()
    kinds = Gst.MessageType.EOS | Gst.MessageType.ERROR | Gst.MessageType.WARNING \
        | Gst.MessageType.ELEMENT
    while True:
        msg = bus.timed_pop_filtered(TIMEOUT, kinds)
        if msg is None:
            sys.exit(f"FAIL: no EOS nor error within {TIMEOUT // Gst.SECOND} s")
        if msg.type == Gst.MessageType.ELEMENT:
            result.messages.append(msg.get_structure().copy())
        elif msg.type == Gst.MessageType.WARNING:
            result.warnings.append(msg.parse_warning()[0].message)
        elif msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            result.error = (err.message, debug or "")
            return
        else:
            return


def script_chain(path, extra=""):
    return f"rtfxpyfilter script={path} {extra}"


def check(condition, what):
    """Prints what was checked; exits with a failure if it does not hold."""
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        sys.exit(1)


def write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    return path

#!/usr/bin/python3
"""make-qr-clip.py writes a Y4M clip GStreamer reads (y4mdec) as 640x480 at 30 fps, and
examples/python/qrcode.py reads the clip's text in every frame of it."""
import os
import subprocess
import sys
import tempfile

from pyharness import EXAMPLES, Gst, check, script_chain

HERE = os.path.dirname(os.path.abspath(__file__))
TEXT = "clip text 0815"
SECONDS = 2


def main():
    with tempfile.TemporaryDirectory() as tmp:
        clip = os.path.join(tmp, "qr.y4m")
        subprocess.run([sys.executable, os.path.join(HERE, "make-qr-clip.py"), clip,
                        "--text", TEXT, "--seconds", str(SECONDS)], check=True, timeout=60)
        pipeline = Gst.parse_launch(
            f"filesrc location={clip} ! y4mdec ! videoconvert ! "
            f"{script_chain(os.path.join(EXAMPLES, 'qrcode.py'), 'name=py')} ! fakesink")
        pipeline.set_state(Gst.State.PLAYING)
        bus = pipeline.get_bus()
        texts = []
        while True:
            msg = bus.timed_pop_filtered(60 * Gst.SECOND, Gst.MessageType.EOS
                                         | Gst.MessageType.ERROR | Gst.MessageType.ELEMENT)
            if msg is None or msg.type == Gst.MessageType.ERROR:
                check(False, f"no error ({msg and msg.parse_error()[0].message}), no timeout")
            if msg.type == Gst.MessageType.EOS:
                break
            if msg.get_structure().get_name() == "rtfx/qrcode":
                codes = msg.get_structure().get_value("codes")
                texts.append(codes[0].get_value("text") if len(codes) else None)
        s = pipeline.get_by_name("py").get_static_pad("sink").get_current_caps().get_structure(0)
        pipeline.set_state(Gst.State.NULL)
        size = (s.get_value("width"), s.get_value("height"), s.get_value("framerate").num)
        check(size == (640, 480, 30), f"640x480 at 30 fps ({size})")
        check(len(texts) == SECONDS * 30, f"{SECONDS * 30} frames ({len(texts)})")
        check(texts == [TEXT] * len(texts), f"every frame reads {TEXT!r} ({set(texts)})")


if __name__ == "__main__":
    main()

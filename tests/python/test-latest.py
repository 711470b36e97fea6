#!/usr/bin/python3
"""Behind rtfxlatest a slow process() never holds the camera back: with a live source and a script
that takes 200 ms a frame, the source keeps pushing while Python is busy (counted with pad probes:
source buffers pushed while the filter is inside process()), and rtfxlatest drops the frames
Python had no time for. The same chain without rtfxlatest is the control: there the source cannot
push while Python is busy (one thread), and every frame waits for its turn. Counts only, no clock."""
import tempfile

from pyharness import Gst, check, write

FRAMES = 30
SLOW = "import time\n\n\ndef process(frame, params):\n    time.sleep(0.2)\n"


class Counter:
    def __init__(self, pipeline):
        self.busy = False
        self.pushed = self.processed = self.overlapped = 0
        source = pipeline.get_by_name("src").get_static_pad("src")
        source.add_probe(Gst.PadProbeType.BUFFER, self.on_source)
        python = pipeline.get_by_name("py")
        python.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, self.on_enter)
        python.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, self.on_leave)

    def on_source(self, pad, info):
        self.pushed += 1
        self.overlapped += self.busy
        return Gst.PadProbeReturn.OK

    def on_enter(self, pad, info):
        self.busy = True
        return Gst.PadProbeReturn.OK

    def on_leave(self, pad, info):
        self.busy = False
        self.processed += 1
        return Gst.PadProbeReturn.OK


def play(chain):
    pipeline = Gst.parse_launch(
        f"videotestsrc name=src is-live=true num-buffers={FRAMES} ! "
        f"video/x-raw,width=64,height=48,framerate=30/1 ! {chain} ! fakesink sync=false")
    counter = Counter(pipeline)
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(60 * Gst.SECOND,
                                                 Gst.MessageType.EOS | Gst.MessageType.ERROR)
    check(msg is not None and msg.type == Gst.MessageType.EOS, f"{chain}: played to EOS")
    latest = pipeline.get_by_name("latest")
    dropped = latest.get_property("dropped") if latest else 0
    pipeline.set_state(Gst.State.NULL)
    return counter, dropped


def main():
    with tempfile.TemporaryDirectory() as tmp:
        script = write(tmp, "slow.py", SLOW)
        python = f"videoconvert ! rtfxpyfilter name=py script={script}"

        counter, dropped = play(f"rtfxlatest name=latest ! {python}")
        check(counter.pushed == FRAMES, f"rtfxlatest: the source pushed all {FRAMES} frames")
        check(counter.overlapped > 0,
              f"rtfxlatest: {counter.overlapped} frames pushed while process() was busy")
        check(dropped > 0 and counter.processed + dropped == FRAMES,
              f"rtfxlatest: {counter.processed} processed, {dropped} dropped, none lost")

        counter, _ = play(python)
        check(counter.overlapped == 0 and counter.processed == FRAMES,
              f"control, no rtfxlatest: {counter.overlapped} frames pushed while busy, "
              f"all {counter.processed} processed in turn")


if __name__ == "__main__":
    main()

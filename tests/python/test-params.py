#!/usr/bin/python3
"""The contract of rtfxpyfilter with its users and with rtfx-launch:
- PARAMS become properties of the child `params` (GstChildProxy), of the right types, ranges and
  defaults, readable, writable, controllable and mutable in PLAYING, with PARAM_DOCS as blurbs;
  `params::low=50` works on a gst-launch-1.0 line and gst_child_proxy_lookup finds it;
- process() sees the values (enums by nick); results dicts, nested ones too, arrive as rtfx/<stem>
  element messages whose structure survives serialization;
- every instance has its own module (own globals), start() and stop() are called, and an edited
  script gives the next instance its new PARAMS and code while the running one keeps the old."""
import os
import subprocess
import tempfile

import numpy as np

from pyharness import GObject, Gst, check, run, script_chain, write

FRAMES = [np.full((48, 64, 3), 100, np.uint8)] * 3

SCRIPT = '''
import os
PARAMS = {"low": (100, 0, 500), "gain": (1.0, 0, 4), "invert": False,
          "mode": ["edges", "overlay"], "label": "hello", "big": (0, 0, 2**40)}
PARAM_DOCS = {"low": "Lower threshold"}
count = 0
started = False

def start():
    global started
    started = True

def stop():
    open(os.environ["RTFX_STOP_MARK"], "a").write("stopped\\n")

def process(frame, params):
    global count
    count += 1
    return frame, {"count": count, "started": started, "low": params.low, "gain": params.gain,
                   "invert": params.invert, "mode": params.mode, "label": params.label,
                   "faces": [{"x": 1, "y": 2, "width": 3, "height": 4, "score": 0.5}],
                   "meta": {"tags": ["a", "b"], "sizes": [1, 2.5], "huge": 2**40,
                            "inner": {"ok": True}}}
'''

FLAGS = (Gst.PARAM_CONTROLLABLE | Gst.PARAM_MUTABLE_PLAYING | 1 | 2)


def properties(element):
    params = element.get_child_by_name("params")
    own = type(params).__gtype__
    return {p.name: p for p in params.list_properties() if p.owner_type == own}


def check_properties(path):
    pipeline = Gst.parse_launch(f"fakesrc ! {script_chain(path, 'name=f')} ! fakesink")
    element = pipeline.get_by_name("f")
    props = properties(element)
    check(sorted(props) == ["big", "gain", "invert", "label", "low", "mode"], f"{sorted(props)}")
    kinds = {n: p.value_type.name for n, p in props.items()}
    check(kinds["low"] == "gint" and kinds["gain"] == "gdouble" and kinds["invert"] == "gboolean"
          and kinds["label"] == "gchararray" and kinds["big"] == "gint64"
          and props["mode"].value_type.is_a(GObject.TYPE_ENUM),
          f"property types {kinds}")
    low = props["low"]
    check((low.minimum, low.maximum, low.default_value) == (0, 500, 100), "low's range, default")
    check(low.nick == "low" and low.blurb == "Lower threshold", f"low's nick, blurb {low.blurb!r}")
    check(all(int(p.flags) & FLAGS == FLAGS for p in props.values()),
          "all readable, writable, controllable, mutable in PLAYING")
    nicks = [v.value_nick for v in props["mode"].enum_class.__enum_values__.values()]
    check(nicks == ["edges", "overlay"] and props["mode"].default_value == 0,
          f"the enum's nicks {nicks}, the first the default")
    found, target, pspec = element.lookup("params::low")
    check(found and pspec.name == "low" and target.get_name() == "params",
          "gst_child_proxy_lookup finds params::low")


def check_launch_line(path):
    line = (f"videotestsrc num-buffers=2 ! video/x-raw,width=64,height=48 ! videoconvert ! "
            f"{script_chain(path)} params::low=50 params::mode=overlay params::label=hey "
            f"params::gain=2.5 params::invert=true ! fakesink")
    out = subprocess.run(["gst-launch-1.0", "-m"] + line.split(), capture_output=True, text=True,
                         timeout=60).stdout
    want = ("low=(int)50", "gain=(double)2.5", "invert=(boolean)true", "mode=(string)overlay",
            "label=(string)hey")
    check(f"rtfx/{os.path.basename(path)[:-3]}" in out and all(w in out for w in want),
          f"gst-launch-1.0 ... params::low=50 ...: process() sees {want}")


def check_results(path, mark):
    result = run(script_chain(path), FRAMES)
    check(result.error is None, f"runs ({result.error})")
    check(os.path.exists(mark), "stop() was called")
    counts = [m.get_value("count") for m in result.messages]
    check(counts == [1, 2, 3] and all(m.get_value("started") for m in result.messages),
          f"one message per frame from rtfx/params, after start() ({counts})")
    again = run(script_chain(path), FRAMES)
    counts = [m.get_value("count") for m in again.messages]
    check(counts == [1, 2, 3], f"a second instance has its own module state ({counts})")
    s = result.messages[0]
    parsed, _ = Gst.Structure.from_string(s.to_string())
    check(parsed is not None and parsed.get_name() == "rtfx/params", "the structure parses back")
    for structure in (s, parsed):
        faces = structure.get_value("faces")
        face = faces[0]
        meta = structure.get_value("meta")
        check(len(faces) == 1 and [face.get_value(k) for k in ("x", "y", "width", "height")]
              == [1, 2, 3, 4] and face.get_value("score") == 0.5, "faces: an array of structures")
        check(list(meta.get_value("tags")) == ["a", "b"]
              and list(meta.get_value("sizes")) == [1.0, 2.5]
              and meta.get_value("huge") == 2**40
              and meta.get_value("inner").get_value("ok") is True, "meta: nested fields")


def check_edit(tmp):
    path = write(tmp, "edited.py", "PARAMS = {'low': (1, 0, 5)}\n\n"
                 "def process(frame, params):\n    return frame, {'version': 1}\n")
    first = Gst.parse_launch(f"appsrc ! {script_chain(path, 'name=f')} ! fakesink")
    write(tmp, "edited.py", "PARAMS = {'high': (7, 0, 9)}\n\n"
          "def process(frame, params):\n    return frame, {'version': 2}\n")
    second = Gst.parse_launch(f"appsrc ! {script_chain(path, 'name=f')} ! fakesink")
    third = Gst.parse_launch(f"appsrc ! {script_chain(path, 'name=f')} ! fakesink")
    one, two = (list(properties(p.get_by_name("f"))) for p in (first, second))
    check(one == ["low"] and two == ["high"], f"an edit gives the next instance its PARAMS {two}")
    kinds = [type(p.get_by_name("f").get_child_by_name("params")) for p in (second, third)]
    check(kinds[0] is kinds[1], "the same script and PARAMS share one class")
    result = run(script_chain(path), FRAMES)
    check([m.get_value("version") for m in result.messages] == [2] * 3, "and its new code")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        mark = os.path.join(tmp, "stopped")
        os.environ["RTFX_STOP_MARK"] = mark
        path = write(tmp, "params.py", SCRIPT)
        check_properties(path)
        check_launch_line(path)
        check_results(path, mark)
        check_edit(tmp)


if __name__ == "__main__":
    main()

"""rtfxpyfilter: a Python function as a video filter (loaded by GStreamer's Python plugin loader).

The element maps each BGR frame as a numpy array, with no copy, and hands it to process() of the
script named by its `script` property; the script's PARAMS become properties of the element's
`params` child (GstChildProxy: `params::low=50` on a gst-launch line), and each results dict it
returns is posted as an element message named rtfx/<script stem>. docs/tutorial-python.md is the
user's guide; DESCRIPTION below is what gst-inspect-1.0 shows. PyGObject cannot make a debug
category in GStreamer 1.22: the element logs in gst-python's, GST_DEBUG=python:5."""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstBase", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import GObject, Gst, GstBase, GstVideo  # noqa: E402
import numpy as np  # noqa: E402

from rtfxpy_analysis import Analysis  # noqa: E402
import rtfxpy_params  # noqa: E402
import rtfxpy_results  # noqa: E402
from rtfxpy_script import Script, ScriptError, check_readable  # noqa: E402

DESCRIPTION = """Runs process(frame, params) of a Python script on every frame.
The script (property 'script', a file path) defines
    def process(frame, params): ...
frame: the picture as a writable numpy array, height x width x 3, uint8, BGR (OpenCV's order),
mapped on the buffer with no copy. Change it in place, or return an array of the same shape and
dtype, or return (frame, results) with results a dict of str, int, float, bool, lists and dicts:
it is posted as an element message named rtfx/<script file name without .py>.
Optional: PARAMS = {"low": (100, 0, 500), "gain": (1.0, 0.0, 4.0), "invert": False,
"mode": ["edges", "overlay"], "label": "hello"} gives a live (controllable) property per entry, on
the child object 'params' (params::low=50 on a gst-launch line; (default, min, max) of ints an int,
with a float a double; a bool a boolean; a list of strings an enum, the first the default; a string
a string), read in process() as params.low; PARAM_DOCS = {"low": "..."} gives their descriptions;
start() and stop() are called when the element starts and stops.
Optional: def analyze(frame, params): ... returns a results dict, for work slower than the video
(a detector): with analysis=async (the default) a thread of the element runs it on a copy of the
newest frame while every frame passes, and process(frame, params, results) then gets the newest
results (None before the first) to draw; with analysis=sync each frame is analysed first. Its
results are posted as process()'s are. With analyze(), process() may be left out.
Caps are BGR: put videoconvert before and after it. Errors name the script's file and line."""

CAPS = Gst.Caps.from_string(
    "video/x-raw, format=(string)BGR, width=(int)[1, 2147483647], "
    "height=(int)[1, 2147483647], framerate=(fraction)[0/1, 2147483647/1]")

ANALYSIS_MODES = ("async", "sync")

# GError domain and code of each ScriptError kind.
ERRORS = {
    "unreadable": (Gst.ResourceError.quark(), Gst.ResourceError.OPEN_READ),
    "load": (Gst.LibraryError.quark(), Gst.LibraryError.INIT),
    "settings": (Gst.ResourceError.quark(), Gst.ResourceError.SETTINGS),
    "run": (Gst.StreamError.quark(), Gst.StreamError.FAILED),
}


class RtfxPyFilter(GstBase.BaseTransform, Gst.ChildProxy):
    __gtype_name__ = "GstRtfxPyFilter"
    __gstmetadata__ = ("rtfx Python filter", "Filter/Effect/Video", DESCRIPTION,
                       "rtfx project")
    __gsttemplates__ = (
        Gst.PadTemplate.new("sink", Gst.PadDirection.SINK, Gst.PadPresence.ALWAYS, CAPS),
        Gst.PadTemplate.new("src", Gst.PadDirection.SRC, Gst.PadPresence.ALWAYS, CAPS),
    )
    __gproperties__ = {
        "script": (str, "Script",
                   "Path of the Python file defining process(frame, params); it is loaded when "
                   "set (a module of this element's own) and its PARAMS become the properties of "
                   "the child 'params'", None,
                   GObject.ParamFlags.READWRITE | Gst.PARAM_MUTABLE_READY),
        "analysis": (str, "Analysis",
                     "For a script with analyze(): async runs it in a thread of the element on "
                     "the newest frame while every frame passes with the newest results; sync "
                     "analyses each frame before it passes", "async",
                     GObject.ParamFlags.READWRITE | Gst.PARAM_MUTABLE_READY),
    }

    def __init__(self):
        super().__init__()
        # PyGObject 3.42 sinks the floating reference of a Python element made from C (a factory,
        # gst-launch), leaving the element's only reference to its Python wrapper: the element
        # died as soon as the wrapper did, under the pipeline that was building it. Give the
        # creator the floating reference GStreamer promises it.
        self._ref()
        self._force_floating()
        self.set_in_place(True)
        self._path = None
        self._script = None
        self._load_error = None
        self._warnings = []
        self._params = None
        self._set_params(rtfxpy_params.Params())
        self._layout = None
        self._kept = []
        self._mode = "async"
        self._analysis = None

    # The script and its parameters

    def do_get_property(self, pspec):
        return self._mode if pspec.name == "analysis" else self._path

    def do_set_property(self, pspec, value):
        if pspec.name == "analysis":
            self._mode = value  # checked when the element leaves NULL
            return
        self._path = value
        self._script = self._load_error = None
        self._warnings = []
        params_class = rtfxpy_params.Params
        if value:
            try:
                self._script = Script(value)
            except ScriptError as e:
                self._load_error = e
        if self._script is not None:
            s = self._script
            params_class, self._warnings = rtfxpy_params.params_class(
                s.abspath, s.params, s.docs, s.stem)
        for warning in self._warnings:
            Gst.warning(f"rtfxpyfilter: {self._path}: {warning}")
        self._set_params(params_class())

    def _set_params(self, params):
        # Not parented: a parent's reference would be dropped by nothing (a Python element gets no
        # dispose), and the object would outlive the element.
        if self._params is not None:
            self.child_removed(self._params, "params")
        self._params = params
        self.child_added(params, "params")

    def do_get_children_count(self):
        return 1

    def do_get_child_by_index(self, index):
        return self._params if index == 0 else None

    def do_get_child_by_name(self, name):
        return self._params if name == "params" else None

    # States: the script must be readable to leave NULL, its start() and stop() hooks run with
    # the element's

    def do_change_state(self, transition):
        if transition == Gst.StateChange.NULL_TO_READY and not self._ready():
            return Gst.StateChangeReturn.FAILURE
        return GstBase.BaseTransform.do_change_state(self, transition)

    def _ready(self):
        for warning in self._warnings:
            self.post_message(Gst.Message.new_warning(
                self, GObject.GError.new_literal(
                    Gst.CoreError.quark(), f"{self._path}: {warning}", Gst.CoreError.FAILED),
                warning))
        self._warnings = []
        try:
            if self._path is None:
                raise ScriptError("unreadable", "no script: set the property 'script'")
            check_readable(self._path)
            if self._load_error is not None:
                raise self._load_error
            if self._mode not in ANALYSIS_MODES:
                raise ScriptError("settings", f"analysis={self._mode}: it must be one of "
                                  + ", ".join(ANALYSIS_MODES))
        except ScriptError as e:
            self._post_error(e)
            return False
        return True

    def do_start(self):
        if not self._call_hook("start"):
            return False
        if self._script.analyze is not None and self._mode == "async":
            self._analysis = Analysis(self._script.run_analysis, self._post_analysis,
                                      self._post_error)
        return True

    def do_stop(self):
        if self._analysis is not None:
            self._analysis.stop()
            self._analysis = None
        return self._call_hook("stop")

    def do_sink_event(self, event):
        # At EOS the analyses under way finish first, so their messages come before it; a flush,
        # a new stream or new caps show another picture: boxes found in the old one go.
        if self._analysis is not None:
            if event.type == Gst.EventType.EOS:
                self._analysis.wait_idle()
            elif event.type in (Gst.EventType.FLUSH_STOP, Gst.EventType.STREAM_START,
                                Gst.EventType.CAPS):
                self._analysis.clear()
        return GstBase.BaseTransform.do_sink_event(self, event)

    def _call_hook(self, name):
        try:
            self._script.call(name)
        except ScriptError as e:
            self._post_error(e)
            return False
        return True

    def _post_error(self, error):
        domain, code = ERRORS[error.kind]
        Gst.error(f"rtfxpyfilter: {error.message}")
        self.message_full(Gst.MessageType.ERROR, domain, code, error.message, error.debug,
                          __file__, "rtfxpyfilter", 0)

    # Frames

    def do_set_caps(self, incaps, outcaps):
        info = GstVideo.VideoInfo.new_from_caps(incaps)
        self._layout = ((info.height, info.width, 3), info.offset[0], (info.stride[0], 3, 1))
        return True

    def do_before_transform(self, buf):
        if self.segment.format == Gst.Format.TIME and buf.pts != Gst.CLOCK_TIME_NONE:
            self._params.sync_values(self.segment.to_stream_time(Gst.Format.TIME, buf.pts))

    def do_transform_ip(self, buf):
        if self._analysis is not None and self._analysis.error is not None:
            return Gst.FlowReturn.ERROR  # the analysis thread posted it
        params = self._params.snapshot()
        shape, offset, strides = self._layout
        mapping = buf.map(Gst.MapFlags.READ | Gst.MapFlags.WRITE)
        if not mapping.__parent__:
            self._post_error(ScriptError("run", "cannot map the frame for writing"))
            return Gst.FlowReturn.ERROR
        frame = np.ndarray(shape, np.uint8, mapping.data, offset, strides)
        error = None
        try:
            self._run(frame, params)
        except ScriptError as e:
            error = e
        del frame
        if not self._release(buf, mapping) and error is None:
            error = ScriptError("run", f"{self._script.path}: process() or analyze() kept the "
                                "frame array (or a view of it) after returning: keep "
                                "frame.copy() instead")
        if error is not None:
            self._post_error(error)
            return Gst.FlowReturn.ERROR
        return Gst.FlowReturn.OK

    def _run(self, frame, params):
        """The script on one frame: analyze() first (sync) or offered to the thread (async),
        then process(); each one's results posted."""
        script = self._script
        if script.analyze is None:
            self._post_results(script.run(frame, params), script.bad_return)
            return
        if self._analysis is None:
            latest = script.run_analysis(read_only(frame), params)
            self._post_analysis(latest)
        else:
            self._analysis.offer(read_only(frame.copy()), params)
            latest = self._analysis.latest
        if script.process is not None:
            self._post_results(script.run(frame, params, latest), script.bad_return)

    def _post_analysis(self, results):
        self._post_results(results, self._script.bad_analysis)

    def _post_results(self, results, bad_return):
        """Posts a results dict as the element message rtfx/<script stem>; results that fit no
        message are bad_return's error (process()'s or analyze()'s)."""
        if results is None:
            return
        name = "rtfx/" + rtfxpy_results.structure_name(self._script.stem)
        try:
            structure = rtfxpy_results.structure(name, results)
        except (TypeError, ValueError, OverflowError) as e:
            raise bad_return(f"results that fit no message: {e}") from None
        self.post_message(Gst.Message.new_element(self, structure))

    def _release(self, buf, mapping):
        """Unmaps the frame, unless the script still holds an array on it: that buffer then stays
        mapped, and alive, as long as the element, so the array never points at freed memory.
        numpy arrays made on a memoryview hold no export of it (memoryview.release() would not
        refuse), but every one of them, views included, refers to it as its base: more than
        the mapping's reference and getrefcount's argument means an array is still there."""
        if sys.getrefcount(mapping.data) > 2:
            self._kept.append((buf, mapping))
            return False
        buf.unmap(mapping)
        return True


def read_only(frame):
    """A view of frame that analyze() cannot write through."""
    view = frame.view()
    view.flags.writeable = False
    return view


GObject.type_register(RtfxPyFilter)
__gstelementfactory__ = ("rtfxpyfilter", Gst.Rank.NONE, RtfxPyFilter)

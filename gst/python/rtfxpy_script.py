"""A user's script as rtfxpyfilter runs it: loaded fresh for each instance, process() called once
per frame, analyze() (when the script has one) on the frames the element hands it.

Every failure becomes a ScriptError whose message names the file and the line a user has to look
at (the deepest line of the script in the traceback, or the line of `def process` when what it
returned is wrong), with the whole traceback as the debug text."""
import importlib.util
import inspect
import itertools
import os
import re
import sys
import traceback

import numpy as np

_module_numbers = itertools.count(1)


class ScriptError(Exception):
    """What went wrong, for a GST_ELEMENT_ERROR: kind is 'unreadable', 'load', 'settings' or
    'run'."""

    def __init__(self, kind, message, debug=""):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.debug = debug


def check_readable(path):
    if not os.path.isfile(path):
        raise ScriptError("unreadable", f"the script {path} does not exist or is not a file")
    if not os.access(path, os.R_OK):
        raise ScriptError("unreadable", f"the script {path} is not readable")


class Script:
    """One instance's own module of the script at path: its globals are that instance's alone."""

    def __init__(self, path):
        check_readable(path)
        self.path = path
        self.abspath = os.path.abspath(path)
        self.stem = os.path.splitext(os.path.basename(path))[0]
        self.module = self._load()
        self.analyze = self._function("analyze")
        self.process = self._function("process")
        if self.process is None and self.analyze is None:
            raise ScriptError("load", f"{path}: defines no function process(frame, params)")
        if self.process is not None and self.analyze is not None:
            self._check_takes_results()
        self.params = getattr(self.module, "PARAMS", {})
        self.docs = getattr(self.module, "PARAM_DOCS", {})
        if not isinstance(self.params, dict) or not isinstance(self.docs, dict):
            raise ScriptError("load", f"{path}: PARAMS and PARAM_DOCS must be dicts")

    def _load(self):
        """Runs the file as a new module, compiled from its source: no bytecode cache, so an edit
        made within the same second as the last one is never hidden by a stale .pyc."""
        name = f"rtfxpy_{re.sub(r'[^0-9A-Za-z_]', '_', self.stem)}_{next(_module_numbers)}"
        spec = importlib.util.spec_from_file_location(name, self.abspath)
        module = importlib.util.module_from_spec(spec)
        error = None
        # Registered while it runs only, for what looks itself up there (dataclasses does): a
        # module left in sys.modules would keep its globals (a model, say) after the session.
        sys.modules[name] = module
        try:
            with open(self.abspath, "rb") as f:
                source = f.read()
            exec(compile(source, self.abspath, "exec"), module.__dict__)
        except Exception:
            error = self._error("load", "cannot load")
        finally:
            del sys.modules[name]
        if error is not None:
            raise error
        return module

    def _function(self, name):
        function = getattr(self.module, name, None)
        if function is not None and not callable(function):
            raise ScriptError("load", f"{self.path}: {name} = {function!r} is not a function")
        return function

    def _check_takes_results(self):
        """With analyze(), process() is given the newest results as a third argument."""
        try:
            inspect.signature(self.process).bind(None, None, None)
        except (TypeError, ValueError):
            line = self.process.__code__.co_firstlineno
            raise ScriptError("load", f"{self.path}, line {line}: the script defines analyze(), "
                              "so process() is called as process(frame, params, results)") \
                from None

    def call(self, name):
        """Calls the optional hook start() or stop(), if the script has it."""
        hook = getattr(self.module, name, None)
        if not callable(hook):
            return
        error = None
        try:
            hook()
        except Exception:
            error = self._error("run", f"{name}() failed")
        if error is not None:
            raise error

    def run(self, frame, params, *results):
        """process() on one frame, its picture left in frame; returns its results dict or None.
        results: with analyze(), the newest results it returned (None before the first).
        Raised errors are made outside the except clause, so that no traceback (and no frame of
        process, which holds the picture) outlives this call."""
        error = None
        try:
            returned = self.process(frame, params, *results)
        except Exception:
            error = self._error("run", "process() failed")
        if error is not None:
            raise error
        if isinstance(returned, tuple) and len(returned) != 2:
            raise self.bad_return(f"a tuple of {len(returned)} items")
        picture, results = returned if isinstance(returned, tuple) else (returned, None)
        if picture is not None and picture is not frame:
            self._copy_back(picture, frame)
        if results is not None and not isinstance(results, dict):
            raise self.bad_return(f"results of type {type(results).__name__}, not a dict")
        return results

    def run_analysis(self, frame, params):
        """analyze() on one frame; returns its results dict or None."""
        error = None
        try:
            results = self.analyze(frame, params)
        except Exception:
            error = self._error("run", "analyze() failed")
        if error is not None:
            raise error
        if results is not None and not isinstance(results, dict):
            raise self.bad_analysis(f"a {type(results).__name__}")
        return results

    def bad_analysis(self, what):
        """A ScriptError for a wrong return value of analyze(), at the line of def analyze."""
        line = self.analyze.__code__.co_firstlineno
        return ScriptError("run", f"{self.path}, line {line}, analyze() returned {what}: it must "
                           "return a results dict or None")

    def _copy_back(self, picture, frame):
        if not isinstance(picture, np.ndarray):
            raise self.bad_return(f"a {type(picture).__name__}")
        if picture.shape != frame.shape or picture.dtype != frame.dtype:
            raise self.bad_return(f"an array of shape {picture.shape} and dtype {picture.dtype}, "
                                   f"not {frame.shape} {frame.dtype}")
        np.copyto(frame, picture)

    def bad_return(self, what):
        """A ScriptError for a wrong return value, at the line of def process."""
        line = self.process.__code__.co_firstlineno
        return ScriptError(
            "run", f"{self.path}, line {line}, process() returned {what}: it must return None, "
            f"the frame, an array like it (H x W x 3, uint8) or (frame, results dict)")

    def _error(self, kind, what):
        """A ScriptError for the exception being handled, at the script's deepest line in it."""
        exc_type, exc, tb = sys.exc_info()
        where = ""
        if isinstance(exc, SyntaxError) and exc.filename == self.abspath:
            where = f", line {exc.lineno}"
        else:
            for frame in reversed(traceback.extract_tb(tb)):
                if frame.filename == self.abspath:
                    where = f", line {frame.lineno}, in {frame.name}"
                    break
        debug = "".join(traceback.format_exception(exc_type, exc, tb))
        return ScriptError(kind, f"{self.path}{where}: {what}: {exc_type.__name__}: {exc}",
                           debug)

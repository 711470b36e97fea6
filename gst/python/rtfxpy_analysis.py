"""analyze() of a script at its own pace: a thread of rtfxpyfilter's runs it on the newest frame.

The streaming thread offers each frame (a copy) and goes on at once with the newest results; a
frame offered while another still waits for the thread replaces it, so the analysis always works
on the freshest picture and never falls behind. The thread runs at nice +10, as rtfxfacedetect's
does: when the CPU is short, the analyses slow down and the video does not."""
import os
import threading

from rtfxpy_script import ScriptError

ANALYSIS_NICE = 10


class Analysis:
    """One element's analysis thread: started when made, ended by stop().

    analyze(frame, params) returns a results dict or None and raises a ScriptError; done(results)
    is called, from the thread, with each dict it returned (and may raise a ScriptError too), and
    failed(error) with the first error, after which the thread ends and `error` is set."""

    def __init__(self, analyze, done, failed):
        self._analyze = analyze
        self._done = done
        self._failed = failed
        self._cond = threading.Condition()
        self._pending = None      # (frame, params) waiting for the thread
        self._busy = False        # the thread is inside analyze()
        self._stopping = False
        self._generation = 0      # bumped by clear(): results of an older picture are dropped
        self.latest = None        # the newest results
        self.error = None
        self._thread = threading.Thread(target=self._loop, name="rtfxpy-analysis", daemon=True)
        self._thread.start()

    def offer(self, frame, params):
        with self._cond:
            self._pending = (frame, params)
            self._cond.notify_all()

    def clear(self):
        """Forgets the waiting frame and the newest results (a flush, new caps, a new stream)."""
        with self._cond:
            self._pending = None
            self._generation += 1
            self.latest = None

    def wait_idle(self):
        """Returns once the thread has analysed what was offered (or failed, or stopped)."""
        with self._cond:
            self._cond.wait_for(lambda: self._stopping or self.error is not None
                                or (self._pending is None and not self._busy))

    def stop(self):
        """Ends the thread after the analysis it is running, dropping what waits; joins it."""
        with self._cond:
            self._stopping = True
            self._pending = None
            self._cond.notify_all()
        self._thread.join()

    def _loop(self):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), ANALYSIS_NICE)
        except OSError:
            pass  # not allowed here: the analyses then compete with the video as equals
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stopping or self._pending is not None)
                if self._stopping:
                    return
                (frame, params), self._pending = self._pending, None
                generation = self._generation
                self._busy = True
            try:
                results = self._analyze(frame, params)
                del frame
                with self._cond:
                    current = generation == self._generation and not self._stopping
                if current and results is not None:
                    self._done(results)
                    with self._cond:
                        if generation == self._generation:
                            self.latest = results
            except ScriptError as e:
                self._failed(e)  # posted before the streaming thread can see it and stop
                with self._cond:
                    self.error = e
                return
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

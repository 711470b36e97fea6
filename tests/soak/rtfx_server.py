"""rtfx-launch as a child process, for the soak and fault tests (python3, stdlib only).

Run inside tests/launcher/run-in-netns.sh: the server binds a free port on 127.0.0.1 (or the address
and port it is given), and
webrtcbin gathers ICE candidates on every interface it sees. Every wait here is bounded.
GST_PLUGIN_PATH_1_0 (and GST_REGISTRY_1_0) must come from the caller's environment; for the ASan
build, so must ASAN_OPTIONS and LSAN_OPTIONS (meson.build and the Makefile set them).
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import tempfile
import time

START_TIMEOUT_S = 60  # the first start of a build may have to make its plugin registry
START_ATTEMPTS = 3
HTTP_TIMEOUT_S = 2


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lsan_crashed(log):
    """LeakSanitizer itself crashed at exit ("Tracer caught signal 11"), so it checked nothing and
    made the status non-zero: a known, rare fault of the tool (google/sanitizers#1353), not a leak,
    which it reports with a SUMMARY line. The tests run such a case once more."""
    return ("LeakSanitizer has encountered a fatal error" in log
            and "SUMMARY: AddressSanitizer" not in log)


def wait_until(predicate, timeout_s, interval_s=0.1):
    """predicate()'s first true value, or None once timeout_s have passed."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value or None
        time.sleep(interval_s)


class Server:
    """One rtfx-launch on a free loopback port (or on address:port); its stdout and stderr go to one
    log file."""

    def __init__(self, launcher, args=(), address="127.0.0.1", port=None):
        self.launcher = launcher
        self.args = list(args)
        self.address = address
        self.fixed_port = port
        self.proc = None
        self.port = None
        self.log = tempfile.NamedTemporaryFile(prefix="rtfx-launch-", suffix=".log", delete=False)
        self.log_path = self.log.name

    def start(self):
        for _ in range(START_ATTEMPTS):
            self.port = self.fixed_port or free_port()
            self.proc = subprocess.Popen(
                [self.launcher, "--bind", self.address, "--port", str(self.port)] + self.args,
                stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            if wait_until(lambda: self.proc.poll() is not None or self.status() is not None,
                          START_TIMEOUT_S) and self.proc.poll() is None:
                return self
            self.kill()
        raise RuntimeError("rtfx-launch did not start; its log:\n" + self.log_text())

    @property
    def pid(self):
        return self.proc.pid

    @property
    def ws_url(self):
        return "ws://%s:%d/ws" % (self.address, self.port)

    def status(self):
        """/status as a dict, or None if the server does not answer it."""
        conn = http.client.HTTPConnection(self.address, self.port, timeout=HTTP_TIMEOUT_S)
        try:
            conn.request("GET", "/status")
            reply = conn.getresponse()
            return json.loads(reply.read()) if reply.status == 200 else None
        except (OSError, ValueError, http.client.HTTPException):
            return None
        finally:
            conn.close()

    def sessions(self):
        status = self.status()
        return None if status is None else status["sessions"]

    def wait_sessions(self, predicate, timeout_s):
        """Seconds until predicate(/status sessions) held, or None if it did not within timeout_s."""
        start = time.monotonic()

        def check():
            n = self.sessions()
            return n is not None and predicate(n)
        return time.monotonic() - start if wait_until(check, timeout_s) else None

    def resources(self):
        """{"rss_kib", "fds", "threads"} of the running server, from /proc."""
        with open("/proc/%d/status" % self.pid) as f:
            rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        return {"rss_kib": rss,
                "fds": len(os.listdir("/proc/%d/fd" % self.pid)),
                "threads": len(os.listdir("/proc/%d/task" % self.pid))}

    def stop(self, timeout_s):
        """SIGTERM; (exit status, seconds it took), status None if it had not exited by then."""
        start = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            status = None
            self.kill()
        return status, time.monotonic() - start

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def log_text(self):
        self.log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def close(self):
        self.kill()
        self.log.close()
        os.unlink(self.log_path)

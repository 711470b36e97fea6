"""The two servers bench/capacity measures, each started afresh for every step, pinned to the
server CPUs, on a free loopback port, its output in a log file; and how a client reaches each."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

KINDS = ("rtfx", "aiortc")
AIORTC_EXAMPLE_DIR = "/usr/share/doc/python3-aiortc/examples/server"
HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"  # Debian's, which has python3-aiortc
START_S = 60                 # the first start of a build may have to make its plugin registry
STOP_S = 10
# Far more than any step asks for: the bench, not the server's limits, decides how many.
MAX_SESSIONS = 256


class SetupError(Exception):
    pass


class Skip(Exception):
    pass


def cpu_set(text):
    """A taskset-style list ("0", "0-1", "0,2-3", or "all") as a set of CPU numbers."""
    if text == "all":
        return set(os.sched_getaffinity(0))
    cpus = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        cpus.update(range(int(first), int(last or first) + 1))
    return cpus


def taskset(cpus):
    return ["taskset", "-c", ",".join(str(c) for c in sorted(cpus))]


def machine():
    """The CPU model and the number of CPUs, for the record."""
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpu": model, "cpus": os.cpu_count()}


def check(args):
    """Everything the measurement needs is here, before it starts."""
    for path in (args.rtfx_launch, args.peer):
        if not os.access(path, os.X_OK):
            raise SetupError("%s is not an executable" % path)
    if shutil.which("taskset") is None or shutil.which("gst-launch-1.0") is None:
        raise SetupError("taskset (util-linux) and gst-launch-1.0 (gstreamer1.0-tools) are needed")
    if not set(args.server_cpus | args.client_cpus) <= os.sched_getaffinity(0):
        raise SetupError("--server-cpus and --client-cpus must be CPUs of this machine")
    if "aiortc" in args.servers:
        if not os.path.exists(os.path.join(args.aiortc_example, "server.py")):
            raise Skip("aiortc's example server is missing: install python3-aiortc")
        if subprocess.run([PYTHON, "-c", "import aiortc, aiohttp, cv2"],
                          stderr=subprocess.DEVNULL).returncode != 0:
            raise Skip("aiortc's example server needs python3-aiortc, python3-aiohttp and "
                       "python3-opencv")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A context manager: started on entry, stopped on exit."""

    kind = None

    def __init__(self, chain, cpus):
        self.chain = chain
        self.cpus = cpus
        self.proc = None
        self.port = None
        self.log = None
        # Loopback only: no proxy from the environment.
        self.http = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def command(self):
        raise NotImplementedError

    def ready_path(self):
        raise NotImplementedError

    def client_args(self):
        """rtfx-test-peer's options to reach this server."""
        raise NotImplementedError

    def pid(self):
        return self.proc.pid

    def answers(self):
        try:
            with self.http.open("http://127.0.0.1:%d%s" % (self.port, self.ready_path()),
                                timeout=2) as reply:
                return reply.status == 200
        except OSError:
            return False

    def __enter__(self):
        self.port = free_port()
        self.log = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen(taskset(self.cpus) + self.command(), stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_S
        while not self.answers():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SetupError("%s did not start; its output:\n%s"
                                 % (self.kind, self.output()[-3000:]))
            time.sleep(0.1)
        return self

    def __exit__(self, *exc):
        self.stop()
        self.log.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def output(self):
        self.log.seek(0)
        return self.log.read()


class Rtfx(Server):
    kind = "rtfx"

    def __init__(self, chain, cpus, launcher, launch_chain):
        super().__init__(chain, cpus)
        self.launcher = launcher
        self.launch_chain = launch_chain

    def command(self):
        return [self.launcher, "--port", str(self.port), "--max-sessions", str(MAX_SESSIONS),
                "--max-connections-per-address", "0", self.launch_chain]

    def ready_path(self):
        return "/status"

    def client_args(self):
        return ["--url", "ws://127.0.0.1:%d/ws" % self.port]


class Aiortc(Server):
    kind = "aiortc"

    def __init__(self, chain, cpus, example_dir, transform):
        super().__init__(chain, cpus)
        self.example_dir = example_dir
        self.transform = transform

    def command(self):
        return [PYTHON, os.path.join(HERE, "aiortc-server.py"), "--example-dir",
                self.example_dir, "--", "--host", "127.0.0.1", "--port", str(self.port)]

    def ready_path(self):
        return "/"

    def client_args(self):
        return ["--offer-url", "http://127.0.0.1:%d/offer" % self.port,
                "--video-transform", self.transform]


def make(kind, chain, chain_args, args):
    """The server of this kind running chain; chain_args is (rtfx-launch's CHAIN, aiortc's
    video_transform)."""
    if kind == "rtfx":
        return Rtfx(chain, args.server_cpus, args.rtfx_launch, chain_args[0])
    return Aiortc(chain, args.server_cpus, args.aiortc_example, chain_args[1])

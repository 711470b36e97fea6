"""N light clients of one server: rtfx-test-peer processes, pinned to the client CPUs, each sending
the pre-encoded clip in a loop (--send-file) and counting the frames back without decoding them
(--no-decode). Each prints its frame count every PROGRESS_MS with CLOCK_MONOTONIC's time, which is
Python's time.monotonic() too, so frame rates are taken over the driver's own window. A client
holds its session until its standard input closes, and then prints its report."""

import json
import subprocess
import tempfile
import threading
import time

from servers import taskset

PROGRESS_MS = 250
FINISH_S = 15  # for every client to say bye and report


class Client:
    def __init__(self, command):
        self.stderr = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, text=True)
        self.progress = []   # (seconds, frames back, bytes back), in order
        self.report = None   # the last line, once it ends
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self):
        for line in self.proc.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if "time_us" in message:
                self.progress.append((message["time_us"] / 1e6, message["frames_back"],
                                      message["bytes_back"]))
            else:
                self.report = message

    def connected(self):
        return bool(self.progress) and self.progress[-1][1] > 0

    def rates(self, start, end):
        """(frames, kbit) back a second between start and end (time.monotonic()), 0 if it had
        none. A client that stopped counting before the end (it ended) is taken at its last
        count."""
        inside = [p for p in self.progress if start <= p[0] <= end]
        if len(inside) < 2:
            return 0.0, 0.0
        (t0, n0, b0), (t1, n1, b1) = inside[0], inside[-1]
        if end - t1 > 2 * PROGRESS_MS / 1000:
            t1 = end
        return (n1 - n0) / (t1 - t0), (b1 - b0) * 8 / 1000 / (t1 - t0)

    def close(self):
        self.proc.stdin.close()

    def wait(self, deadline):
        try:
            self.proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(5)
        if self.report is None:
            self.stderr.seek(0)
            self.report = {"errors": ["the client ended without a report: %s"
                                      % self.stderr.read().strip()[-300:]]}
        self.stderr.close()
        return self.report


class Clients:
    def __init__(self, peer, server, n, clip, cpus, stagger_s, timeout_s):
        command = taskset(cpus) + [peer] + server.client_args() + [
            "--send-file", clip, "--no-decode", "--progress-ms", str(PROGRESS_MS),
            "--frames", "1", "--hold-until-eof", "--timeout-ms", str(int(timeout_s * 1000))]
        self.clients = []
        for _ in range(n):
            self.clients.append(Client(command))
            time.sleep(stagger_s)

    def pids(self):
        return [c.proc.pid for c in self.clients]

    def wait_connected(self, bound_s):
        """How many have video back, waiting until all do or bound_s passed."""
        deadline = time.monotonic() + bound_s
        while time.monotonic() < deadline and not all(c.connected() for c in self.clients):
            time.sleep(0.1)
        return sum(c.connected() for c in self.clients)

    def rates(self, start, end):
        """Each client's (frames, kbit) back a second between start and end."""
        return [c.rates(start, end) for c in self.clients]

    def finish(self):
        """Ends every session and returns the clients' reports."""
        for c in self.clients:
            c.close()
        deadline = time.monotonic() + FINISH_S
        return [c.wait(deadline) for c in self.clients]

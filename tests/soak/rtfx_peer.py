"""tests/peer/rtfx-test-peer as a child process, for the soak and fault tests (python3, stdlib only).

The peer prints one JSON line on stdout when it ends ({"hello", "answer", "frames_back",
"fps_back", "first_frame_ms", "bye": reason or null, "errors"}) and nothing while it runs
(netns_udp tells whether its video flows). Its stderr goes to a file, for failure messages.
"""

import json
import signal
import subprocess
import tempfile


class Peer:
    def __init__(self, binary, url, *args):
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([binary, "--url", url] + [str(a) for a in args],
                                     stdout=subprocess.PIPE, stderr=self.stderr,
                                     stdin=subprocess.DEVNULL, text=True)
        self.result = None

    def running(self):
        return self.proc.poll() is None

    def signal(self, sig):
        if self.running():
            self.proc.send_signal(sig)

    def finish(self, timeout_s):
        """Waits (bounded) for the peer to end, SIGKILLing it after timeout_s, and returns
        (exit status, its JSON line or None); again, the same."""
        if self.proc.stdout.closed:
            return self.proc.returncode, self.result
        try:
            out, _ = self.proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            out, _ = self.proc.communicate(timeout=10)
        for line in reversed(out.splitlines()):
            try:
                self.result = json.loads(line)
                break
            except ValueError:
                continue
        return self.proc.returncode, self.result

    def stderr_text(self):
        self.stderr.seek(0)
        return self.stderr.read()


def bye_reason(result):
    """The reason of the server's bye in a peer's JSON line, or None if there was none."""
    return (result or {}).get("bye")

#!/usr/bin/python3
"""Starts a fresh rtfx-launch on a free loopback port, runs one client scenario against it, checks
the outcome and stops the server. Meant to run inside tests/launcher/run-in-netns.sh:

  peer-test.py SCENARIO --launcher RTFX_LAUNCH --peer RTFX_TEST_PEER [--aiortc AIORTC_CLIENT]
               [--legacy-server]

SCENARIO:
  basic         rtfx-test-peer gets >= 60 frames back; /status returns to 0 sessions afterwards.
  aiortc        Debian's aiortc, as a client, gets >= 30 frames back.
  preset-flood  (defect 9) 1000 presets at once: the video keeps coming back (>= 3 fps) for 3 s,
                no bye, the server ends on the last preset asked for, and nothing in its log says
                not-negotiated or complains about stream-start.
  no-upnp       (defect 6) while a session runs, the server owns no UDP socket on port 1900, the
                SSDP socket libnice's UPnP (gupnp-igd) opens in every ICE agent that has it on.

--legacy-server leaves out the options older launchers reject (--max-message-rate), to show a
regression test failing on them. Exit status: 0 pass, 1 fail, 77 skipped, 99 set-up error."""

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

SERVER_START_S = 20
SERVER_STOP_S = 10
SSDP_PORT = 1900
MIN_FPS_AFTER_FLOOD = 3


class SetupError(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """rtfx-launch on a free port, its output in a temporary file."""

    def __init__(self, launcher, args):
        self.port = free_port()
        self.log = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen([launcher, "--port", str(self.port), *args],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.url = "ws://127.0.0.1:%d/ws" % self.port
        # Loopback only: no proxy from the environment.
        self.http = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SetupError("rtfx-launch exited with status %d:\n%s"
                                 % (self.proc.returncode, self.output()))
            try:
                self.status()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise SetupError("rtfx-launch did not answer /status within %d s" % SERVER_START_S)

    def status(self):
        with self.http.open("http://127.0.0.1:%d/status" % self.port, timeout=2) as reply:
            return json.load(reply)

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(SERVER_STOP_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.output()


def run_client(command, bound_s, while_running=None):
    """Runs a client that prints one JSON line, calling while_running() every 0.1 s meanwhile;
    returns (exit status or None if it had to be killed, that JSON)."""
    print("running:", " ".join(command), flush=True)
    client = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + bound_s
    while client.poll() is None and time.monotonic() < deadline:
        if while_running is not None:
            while_running()
        time.sleep(0.1)
    if client.poll() is None:
        client.kill()
        client.communicate()
        return None, {"errors": ["the client did not end within %d s" % bound_s]}
    out, _ = client.communicate()
    lines = out.strip().splitlines()
    try:
        report = json.loads(lines[-1])
    except (IndexError, ValueError):
        report = {"errors": ["the client printed no JSON line: %r" % out[-200:]]}
    print("client exit %d: %s" % (client.returncode, json.dumps(report)), flush=True)
    return client.returncode, report


def check_client(failures, status, report, frames):
    if status != 0:
        failures.append("the client exited with status %s, errors %s"
                        % (status, report.get("errors")))
    if report.get("frames_back", 0) < frames:
        failures.append("%s frames came back, not %d" % (report.get("frames_back"), frames))


def wait_for_no_sessions(server, failures, bound_s=10):
    deadline = time.monotonic() + bound_s
    sessions = None
    while time.monotonic() < deadline:
        sessions = server.status()["sessions"]
        if sessions == 0:
            return
        time.sleep(0.2)
    failures.append("/status still counts %s sessions %d s after the client ended"
                    % (sessions, bound_s))


def scenario_basic(args):
    server = Server(args.launcher, [])
    failures = []
    try:
        status, report = run_client([args.peer, "--url", server.url, "--frames", "60",
                                     "--timeout-ms", "40000"], 60)
        check_client(failures, status, report, 60)
        wait_for_no_sessions(server, failures)
    finally:
        server.stop()
    return failures


def scenario_aiortc(args):
    if subprocess.run(["/usr/bin/python3", "-c", "import aiortc, websockets"],
                      stderr=subprocess.DEVNULL).returncode != 0:
        print("SKIP: Debian's python3-aiortc and python3-websockets are needed")
        sys.exit(77)
    server = Server(args.launcher, [])
    failures = []
    try:
        status, report = run_client(["/usr/bin/python3", args.aiortc, "--url", server.url,
                                     "--frames", "30", "--timeout", "60"], 80)
        check_client(failures, status, report, 30)
    finally:
        server.stop()
    return failures


def scenario_preset_flood(args):
    # The default presets, as the page offers them; the session starts on edges, and the peer's
    # 1000 presets cycle through all seven from the next one, which ends on passthrough.
    server = Server(args.launcher, [] if args.legacy_server else ["--max-message-rate", "0"])
    failures = []
    try:
        status, report = run_client([args.peer, "--url", server.url, "--frames", "30",
                                     "--preset-flood", "1000", "--hold-ms", "3000",
                                     "--timeout-ms", "60000"], 80)
    finally:
        log = server.stop()
    # The peer fails on a bye it did not ask for, an `error`, or a last preset that is not the
    # last one it asked for.
    check_client(failures, status, report, 30)
    # The video must keep flowing, not be fast: a loaded machine halves the frame rate of every
    # session, a broken switch stops it (it stood at 0 fps for 9 s once).
    if report.get("fps_back", 0) < MIN_FPS_AFTER_FLOOD:
        failures.append("after the flood the video came back at %s fps over 3 s, not >= %d"
                        % (report.get("fps_back"), MIN_FPS_AFTER_FLOOD))
    if any("not-negotiated" in e for e in report.get("errors", [])):
        failures.append("the peer saw not-negotiated")
    # "Got data flow before stream-start event": a chain got frames before it was set up.
    bad = [line for line in log.splitlines() if "not-negotiated" in line
           or "stream-start" in line]
    if bad:
        failures.append("the server's log says: %s" % " | ".join(bad[:5]))
    if failures:
        print("the server's log, without the preset lines:")
        print("\n".join(line for line in log.splitlines() if ": preset " not in line)[-3000:])
    return failures


def readable_address(hex_address):
    """An address as /proc/net/udp{,6} writes it (32-bit words in host order) in the usual form."""
    raw = bytes.fromhex(hex_address)
    raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    if sys.byteorder == "big":
        raw = bytes.fromhex(hex_address)
    return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)


def udp_sockets(pid):
    """(local port, local address) of the UDP sockets process pid has open."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue  # closed meanwhile
        m = re.fullmatch(r"socket:\[(\d+)\]", target)
        if m:
            inodes.add(m.group(1))
    found = set()
    for table in ("udp", "udp6"):
        with open("/proc/%d/net/%s" % (pid, table)) as f:
            next(f)
            for row in f:
                fields = row.split()
                address, port = fields[1].split(":")
                if fields[9] in inodes:
                    found.add((int(port, 16), readable_address(address)))
    return found


def scenario_no_upnp(args):
    server = Server(args.launcher, [])
    failures = []
    seen = set()
    try:
        status, report = run_client(
            [args.peer, "--url", server.url, "--frames", "30", "--hold-ms", "4000",
             "--timeout-ms", "40000"], 60,
            lambda: seen.update(udp_sockets(server.proc.pid)))
        check_client(failures, status, report, 30)
    finally:
        server.stop()
    print("UDP sockets of rtfx-launch during the session (port, address):", sorted(seen))
    # Without its media sockets the test would not be looking at a session at all.
    if not any(port != SSDP_PORT for port, _ in seen):
        failures.append("no UDP socket of the session was seen in rtfx-launch")
    ssdp = sorted(address for port, address in seen if port == SSDP_PORT)
    if ssdp:
        failures.append("rtfx-launch had UPnP's SSDP sockets open (UDP port %d on %s)"
                        % (SSDP_PORT, ", ".join(ssdp)))
    return failures


SCENARIOS = {"basic": scenario_basic, "aiortc": scenario_aiortc,
             "preset-flood": scenario_preset_flood, "no-upnp": scenario_no_upnp}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--launcher", required=True)
    parser.add_argument("--peer", required=True)
    parser.add_argument("--aiortc")
    parser.add_argument("--legacy-server", action="store_true")
    args = parser.parse_args()
    try:
        failures = SCENARIOS[args.scenario](args)
    except SetupError as e:
        print("set-up error:", e)
        return 99
    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        print("PASS", args.scenario)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

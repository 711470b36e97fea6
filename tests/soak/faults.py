#!/usr/bin/env python3
"""Fault tests: what rtfx-launch does when a peer, the network or the chain fails mid-stream.

  run-in-netns.sh python3 faults.py FAULT LAUNCHER PEER

FAULT is one of:
  peer-killed      the peer is SIGKILLed while the video flows: its session is freed (/status 0)
                   within 15 s
  peer-frozen      the peer is SIGSTOPped while the video flows (its TCP stays up, nothing answers):
                   freed within 15 s with "stopped answering" or "no video" in the log, using the
                   default --peer-timeout
  packets-dropped  all UDP on lo is dropped (nft) while the websocket stays up: freed within 15 s,
                   "no video" in the log
  element-error    one of two sessions switches to a preset whose chain fails after 60 frames: that
                   session ends with a bye carrying the element's message, the other keeps getting
                   frames (5 a second at least) over the next 3 s, and the server goes on
  sigterm-full     SIGTERM with --max-sessions 3 and 3 sessions streaming: the server exits within 2 s with
                   status 0 and every peer got a bye
After each, the server must still answer /status and exit 0 on SIGTERM (LeakSanitizer makes the ASan
build exit non-zero on a leak; when LeakSanitizer itself crashes at exit, checking nothing, the case
runs once more: rtfx_server.lsan_crashed). Prints one JSON line a run with the timings; exit
status 0 when the server behaved, 1 when not, 77 (skipped) when a tool the fault needs is missing.
"""

import json
import os
import re
import shutil
import signal
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns_udp  # noqa: E402
from rtfx_peer import Peer, bye_reason  # noqa: E402
from rtfx_server import Server, lsan_crashed, wait_until  # noqa: E402

FREED_WITHIN_S = 15
MEDIA_TIMEOUT_S = 30
PEER_TIMEOUT_MS = 100000        # longer than any test: the server, not the peer, must end things
PEER_EXIT_TIMEOUT_S = 20
EXIT_TIMEOUT_S = 60
SIGTERM_EXIT_S = 2
SURVIVOR_WINDOW_S = 3            # rtfx-test-peer's fps_back is over its last 3 s
SURVIVOR_MIN_FPS = 5             # still flowing; not a speed test (2 shared cores)
ERROR_AFTER = 60
FAILING_TIMEOUT_S = 60          # frames, the switch, ERROR_AFTER frames: slow on 2 busy cores
FULL = 3
SKIP = 77


class Failed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failed(message)


def streaming_peer(server, peer_bin, *args):
    """A peer that asked for more frames than it will ever get, once its video flows."""
    peer = Peer(peer_bin, server.ws_url, "--frames", 1000000, "--timeout-ms", PEER_TIMEOUT_MS,
                *args)
    check(netns_udp.wait_media(MEDIA_TIMEOUT_S),
          "no video within %d s; peer stderr:\n%s" % (MEDIA_TIMEOUT_S, peer.stderr_text()[-2000:]))
    return peer


def end_reasons(log):
    """The reasons of the "session …: ended: REASON" lines of the server's log, in order."""
    return re.findall(r"session \S+: ended: (.*)", log)


def wait_freed(server, report):
    """Records in report how long until /status said 0 sessions; fails after FREED_WITHIN_S."""
    freed = server.wait_sessions(lambda n: n == 0, FREED_WITHIN_S)
    report["freed_s"] = None if freed is None else round(freed, 1)
    report["reasons"] = end_reasons(server.log_text())
    check(freed is not None, "the session was not freed within %d s (/status: %s)" %
          (FREED_WITHIN_S, server.status()))


def one_peer_fault(server, peer_bin, report, act, reasons=None):
    """One streaming peer; act(peer) is the fault; its session must be freed in time, with one of
    reasons (if given) in the log. A peer still able to say (not SIGKILLed) must have had frames
    back before the fault, as nothing could come after it."""
    peer = streaming_peer(server, peer_bin)
    check(server.sessions() == 1, "/status does not count the session")
    try:
        act(peer)
        wait_freed(server, report)
        if reasons:
            check(any(r in line for line in report["reasons"] for r in reasons),
                  "no %s among the reasons %s" % (" or ".join(map(repr, reasons)),
                                                   report["reasons"]))
        peer.signal(signal.SIGCONT)
        _, result = peer.finish(PEER_EXIT_TIMEOUT_S)
        if result is not None:
            report["frames_back"] = result["frames_back"]
            check(result["frames_back"] > 0, "the peer got no frame back before the fault")
    finally:
        peer.finish(0)


def peer_killed(server, peer_bin, report):
    one_peer_fault(server, peer_bin, report, lambda peer: peer.signal(signal.SIGKILL))


def peer_frozen(server, peer_bin, report):
    one_peer_fault(server, peer_bin, report, lambda peer: peer.signal(signal.SIGSTOP),
                   ["stopped answering", "no video"])


def packets_dropped(server, peer_bin, report):
    try:
        one_peer_fault(server, peer_bin, report, lambda peer: netns_udp.drop_all(), ["no video"])
    finally:
        netns_udp.stop_dropping()


def element_error(server, peer_bin, report):
    survivor = streaming_peer(server, peer_bin)
    # The presets are [edges, boom]: a flood of one switches from edges to boom once frames came
    # back, and that chain fails ERROR_AFTER frames later.
    failing = Peer(peer_bin, server.ws_url, "--frames", 30, "--preset-flood", 1,
                   "--hold-ms", PEER_TIMEOUT_MS, "--timeout-ms", PEER_TIMEOUT_MS)
    try:
        check(wait_until(lambda: not failing.running(), FAILING_TIMEOUT_S),
              "the session on the failing chain did not end within %d s" % FAILING_TIMEOUT_S)
        ended = time.monotonic()
        _, result = failing.finish(PEER_EXIT_TIMEOUT_S)
        errors = re.findall(r"pipeline error from (identity\S*): (.*?) \(", server.log_text())
        report["element_error"] = errors
        report["bye"] = bye_reason(result)
        check(errors, "the server logged no error from identity")
        check(report["bye"] is not None and errors[0][1] in report["bye"],
              "the failing session's bye %r does not carry the element's message %r" %
              (report["bye"], errors[0][1]))
        check(server.sessions() == 1, "/status: %s, not the other session alone" %
              server.status())
        # Stopped (it says bye) SURVIVOR_WINDOW_S after the failure, the peer's fps_back is that of
        # its last SURVIVOR_WINDOW_S.
        time.sleep(max(0.0, ended + SURVIVOR_WINDOW_S - time.monotonic()))
        survivor.signal(signal.SIGTERM)
        _, result = survivor.finish(PEER_EXIT_TIMEOUT_S)
        report["survivor"] = result
        check(result is not None and result["fps_back"] >= SURVIVOR_MIN_FPS,
              "the other session got %s frames a second after the failure" %
              (result or {}).get("fps_back"))
    finally:
        survivor.finish(0)
        failing.finish(0)


def sigterm_full(server, peer_bin, report):
    peers = [Peer(peer_bin, server.ws_url, "--frames", 1000000, "--timeout-ms", PEER_TIMEOUT_MS)
             for _ in range(FULL)]
    try:
        check(server.wait_sessions(lambda n: n == FULL, MEDIA_TIMEOUT_S) is not None,
              "/status: %s, not %d sessions" % (server.status(), FULL))
        check(netns_udp.wait_media(MEDIA_TIMEOUT_S, len(peers)),
              "no video within %d s" % MEDIA_TIMEOUT_S)
        status, seconds = server.stop(EXIT_TIMEOUT_S)
        report["exit_status"], report["exit_s"] = status, round(seconds, 2)
        results = [p.finish(PEER_EXIT_TIMEOUT_S)[1] or {} for p in peers]
        report["frames_back"] = [r.get("frames_back") for r in results]
        report["byes"] = [bye_reason(r) for r in results]
        check(status == 0 and seconds <= SIGTERM_EXIT_S,
              "exit status %s after %.1f s" % (status, seconds))
        check(all(report["frames_back"]), "a peer got no frame back")
        check(all(b is not None for b in report["byes"]), "not every peer got a bye")
    finally:
        for p in peers:
            p.finish(0)


# name: (scenario, extra server arguments, tool it needs)
FAULTS = {
    "peer-killed": (peer_killed, [], None),
    "peer-frozen": (peer_frozen, [], None),
    "packets-dropped": (packets_dropped, [], "nft"),
    "element-error": (element_error, [
        "--preset", "edges=rtfxlatest ! rtfxedges",
        "--preset", "boom=rtfxlatest ! identity error-after=%d ! rtfxedges" % ERROR_AFTER], None),
    "sigterm-full": (sigterm_full, ["--max-sessions", str(FULL)], None),
}


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in FAULTS:
        print("usage: faults.py {%s} LAUNCHER PEER" % ",".join(FAULTS), file=sys.stderr)
        return 2
    name, launcher, peer_bin = sys.argv[1:]
    tool = FAULTS[name][2]
    if tool and shutil.which(tool) is None:
        print("SKIP: %s is not installed" % tool, file=sys.stderr)
        return SKIP
    ok, log = run_fault(name, launcher, peer_bin)
    if not ok and lsan_crashed(log):
        print("LeakSanitizer crashed at exit, checking nothing: the case once more",
              file=sys.stderr)
        ok, log = run_fault(name, launcher, peer_bin)
    return 0 if ok else 1


def run_fault(name, launcher, peer_bin):
    """One run of the case: prints its JSON line; (whether it held, the server's log)."""
    scenario, server_args, _ = FAULTS[name]
    report = {"fault": name, "launcher": launcher}
    server = Server(launcher, server_args).start()
    try:
        scenario(server, peer_bin, report)
        if server.proc.poll() is None:
            check(server.status() is not None, "the server no longer answers /status")
            status, _ = server.stop(EXIT_TIMEOUT_S)
            report["exit_status"] = status
            check(status == 0, "exit status %s after SIGTERM" % status)
        report["ok"] = True
    except Failed as e:
        report["ok"], report["failure"] = False, str(e)
    finally:
        server.kill()
    print(json.dumps(report))
    log = server.log_text()
    if not report["ok"]:
        print(log[-20000:], file=sys.stderr)
    server.close()
    return report["ok"], log


if __name__ == "__main__":
    sys.exit(main())

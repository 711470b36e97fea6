#!/usr/bin/env python3
"""Soak: many session cycles against one rtfx-launch (the ASan build), then nothing may have grown.

  run-in-netns.sh python3 soak.py LAUNCHER PEER --cycles N [--seed N]

Each cycle runs one or two tests/peer peers at once, their kind drawn from a seeded RNG:
  complete         frames come back, then bye
  no-bye           frames come back, then the websocket closes without bye
  killed           SIGKILL 0-2 s after the video flows
  mid-negotiation  the websocket closes 0-300 ms after the offer
  mixed            two peers of different kinds, started up to 1 s apart, some holding the session
and ends once /status says 0 sessions. The server's RSS (VmRSS), open fds and threads are sampled
after cycle 10 and after the last cycle (each after a settle); every final value (RSS: not with
--no-rss-check, for the ASan build) must be within 5 % above the cycle-10 one (fds and threads: 5 % or 2, whichever is larger, as a thread pool may
keep a worker or two); less is fine. Then SIGTERM: the exit status must be 0, which LeakSanitizer turns non-zero on a
leak (when LeakSanitizer itself crashes at exit, checking nothing, the soak runs once more:
rtfx_server.lsan_crashed). Prints the figures as one JSON line a run; exit status 0 when everything
held, 1 otherwise.
"""

import argparse
import json
import os
import random
import re
import signal
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns_udp  # noqa: E402
from rtfx_peer import Peer  # noqa: E402
from rtfx_server import Server, lsan_crashed, wait_until  # noqa: E402

BASELINE_CYCLE = 10
KINDS = ["complete", "no-bye", "killed", "mid-negotiation", "mixed"]
SINGLE_KINDS = KINDS[:-1]
PEER_TIMEOUT_MS = 30000        # a peer that got nothing by then gives up on its own
PEER_EXIT_TIMEOUT_S = 45
MEDIA_TIMEOUT_S = 30
SESSIONS_GONE_TIMEOUT_S = 20
SETTLE_S = 3
SETTLE_TIMEOUT_S = 15
EXIT_TIMEOUT_S = 180           # LeakSanitizer's scan of a big process at exit takes a while
RSS_TOLERANCE = 0.05
COUNT_TOLERANCE = 0.05
COUNT_SLACK = 2


class Cycle:
    """One cycle's peers: (start offset s, kind, extra peer arguments, seconds of video before a
    SIGKILL or None)."""

    def __init__(self, rng):
        self.kind = rng.choice(KINDS)
        if self.kind == "mixed":
            kinds = rng.sample(SINGLE_KINDS, 2)
            self.peers = sorted(self.peer(rng, k, rng.uniform(0, 1.0), rng.randint(0, 1500))
                                for k in kinds)
        else:
            self.peers = [self.peer(rng, self.kind, 0, 0) for _ in range(rng.choice([1, 2]))]

    @staticmethod
    def peer(rng, kind, offset, hold_ms):
        frames = rng.randint(5, 40)
        args = ["--timeout-ms", PEER_TIMEOUT_MS]
        kill_after = None
        if kind in ("complete", "no-bye"):
            args += ["--frames", frames, "--hold-ms", hold_ms]
            if kind == "no-bye":
                args.append("--no-bye")
        elif kind == "killed":
            args += ["--frames", 1000000]
            kill_after = rng.uniform(0, 2)
        else:
            args += ["--close-after-offer-ms", rng.randint(0, 300)]
        return (offset, kind, args, kill_after)


def run_cycle(server, peer_bin, cycle):
    """Runs the cycle's peers to their end; returns a list of failures (strings)."""
    failures = []
    running = []
    start = time.monotonic()
    for offset, kind, args, kill_after in cycle.peers:
        time.sleep(max(0.0, start + offset - time.monotonic()))
        running.append((kind, kill_after, Peer(peer_bin, server.ws_url, *args)))
    for kind, kill_after, peer in running:
        if kill_after is not None:
            if not netns_udp.wait_media(MEDIA_TIMEOUT_S):
                failures.append("no video within %d s before the SIGKILL" % MEDIA_TIMEOUT_S)
            time.sleep(kill_after)
            peer.signal(signal.SIGKILL)
    for kind, kill_after, peer in running:
        status, result = peer.finish(PEER_EXIT_TIMEOUT_S)
        if kill_after is None and status != 0:
            failures.append("%s peer exited %s: %s %s" % (kind, status, json.dumps(result),
                                                          peer.stderr_text()[-2000:]))
    return failures


def settled_resources(server):
    """The server's resources once its thread count has stopped moving (bounded)."""
    time.sleep(SETTLE_S)
    last = [server.resources()]

    def stable():
        time.sleep(1)
        now = server.resources()
        same = now["threads"] == last[0]["threads"] and now["fds"] == last[0]["fds"]
        last[0] = now
        return same
    wait_until(stable, SETTLE_TIMEOUT_S, 0)
    return last[0]


def within(final, base, tolerance, slack):
    """final has not grown beyond base by more than tolerance (a fraction) or slack."""
    return final - base <= max(base * tolerance, slack)


def leak_summary(log):
    """LeakSanitizer's "SUMMARY: ... N byte(s) leaked in M allocation(s)", or None."""
    m = re.search(r"SUMMARY: AddressSanitizer: (\d+) byte\(s\) leaked in (\d+) allocation", log)
    return {"bytes": int(m.group(1)), "allocations": int(m.group(2))} if m else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("launcher")
    parser.add_argument("peer")
    # The last --cycles counts: make soak appends one to the meson test's.
    parser.add_argument("--cycles", type=int, required=True)
    parser.add_argument("--seed", type=int, default=10)
    # AddressSanitizer's allocator keeps freed memory in its quarantine and caches and never trims,
    # and its stack depot only grows: its RSS wandered 86-130 MiB over 200 cycles with no leak. The
    # ASan run checks leaks, fds and threads; a run of the release build checks RSS as well.
    parser.add_argument("--no-rss-check", action="store_true")
    opts = parser.parse_args()
    if opts.cycles <= BASELINE_CYCLE:
        parser.error("needs more than %d cycles" % BASELINE_CYCLE)
    ok, log = soak(opts)
    if not ok and lsan_crashed(log):
        print("LeakSanitizer crashed at exit, checking nothing: the soak once more",
              file=sys.stderr)
        ok, log = soak(opts)
    return 0 if ok else 1


def soak(opts):
    """One soak: prints its JSON line; (whether everything held, the server's log)."""
    rng = random.Random(opts.seed)
    server = Server(opts.launcher, ["--max-sessions", "4"]).start()
    report = {"cycles": opts.cycles, "seed": opts.seed, "kinds": dict.fromkeys(KINDS, 0),
              "peers": 0, "failures": [], "rss_trace_kib": []}
    started = time.monotonic()
    try:
        for n in range(1, opts.cycles + 1):
            cycle = Cycle(rng)
            report["kinds"][cycle.kind] += 1
            report["peers"] += len(cycle.peers)
            failures = run_cycle(server, opts.peer, cycle)
            if server.wait_sessions(lambda s: s == 0, SESSIONS_GONE_TIMEOUT_S) is None:
                failures.append("sessions still open %d s after the peers ended: %s" %
                                (SESSIONS_GONE_TIMEOUT_S, server.status()))
            report["failures"] += ["cycle %d (%s): %s" % (n, cycle.kind, f) for f in failures]
            if server.proc.poll() is not None:
                report["failures"].append("cycle %d: the server died" % n)
                break
            if n == BASELINE_CYCLE:
                report["at_%d" % n] = settled_resources(server)
            if n % 10 == 0:  # a trace of RSS, to tell a steady growth from a step
                report["rss_trace_kib"].append(server.resources()["rss_kib"])
                print("cycle %d/%d, %.0f s, %d failures" % (n, opts.cycles,
                      time.monotonic() - started, len(report["failures"])), file=sys.stderr)
        else:
            report["at_end"] = settled_resources(server)
        report["cycles_s"] = round(time.monotonic() - started, 1)
        if server.proc.poll() is None:
            report["exit_status"], exit_s = server.stop(EXIT_TIMEOUT_S)
            report["exit_s"] = round(exit_s, 1)
        else:
            report["exit_status"] = server.proc.returncode
        log = server.log_text()
        report["leaks"] = leak_summary(log)
    finally:
        server.kill()

    base, end = report.get("at_%d" % BASELINE_CYCLE), report.get("at_end")
    if base and end:
        checks = {"fds": within(end["fds"], base["fds"], COUNT_TOLERANCE, COUNT_SLACK),
                  "threads": within(end["threads"], base["threads"], COUNT_TOLERANCE, COUNT_SLACK)}
        if not opts.no_rss_check:
            checks["rss_kib"] = within(end["rss_kib"], base["rss_kib"], RSS_TOLERANCE, 0)
        report["failures"] += ["%s grew from %d to %d" % (k, base[k], end[k])
                               for k, ok in checks.items() if not ok]
    if report["exit_status"] != 0:
        report["failures"].append("exit status %s" % report["exit_status"])
        print(log[-20000:], file=sys.stderr)
    report["ok"] = not report["failures"]
    print(json.dumps(report))
    server.close()
    return report["ok"], log


if __name__ == "__main__":
    sys.exit(main())

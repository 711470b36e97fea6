#!/usr/bin/python3
"""How many concurrent 640x480@30 WebRTC sessions this machine sustains: rtfx-launch against
Debian's aiortc example server, side by side in one run. Run it inside
tests/launcher/run-in-netns.sh (`make bench` does):

  capacity.py --rtfx-launch BUILD/launcher/rtfx-launch --peer BUILD/tests/peer/rtfx-test-peer
              [--counts 1,2,4,6,...] [--chains edges,passthrough] [--quick] [--json FILE]
              [--doc docs/performance.md --img-dir docs/img]

For each chain and each session count N, each server is started afresh (on --server-cpus) and N
light clients connect to it (rtfx-test-peer sending a pre-encoded VP8 clip in a loop and counting
the frames back without decoding them, on --client-cpus). Once every
session has video back and a warm-up has passed, a steady window measures each session's frame
rate and the CPU time of the server and of the clients. N is sustained when every session got
at least --min-fps back. A server's steps stop at its first N that is not sustained, after
--retries more tries of it.

--quick (the meson test capacity-short): N = 1 and 2, a few seconds each, the edges chain only;
it checks that every session connected and that the numbers came out, never how fast anything
was, and writes no documentation. Exit status 0, 1 when a check failed, 77 when aiortc's example
server cannot run here (skipped), 99 on a set-up error."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import servers
from clients import Clients
from cpu import CpuClock

CLIP_SOURCE = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"  # package opencv-doc
CLIP_FRAMES = 300
QUICK_CLIP_FRAMES = 60  # --quick: two seconds are enough to connect, and quicker to encode
CLIP_BITRATE = 1000000  # bit/s once sent at 30 fps
CLIP_SOURCE_FPS = 10    # vtest.avi's rate: the encoder is told a third of the bitrate

# Each chain on both servers: rtfx-launch's CHAIN, and the aiortc example's video_transform.
CHAINS = {
    "edges": ("rtfxlatest ! rtfxedges", "edges"),
    "passthrough": ("identity", "none"),
}


class SetupError(Exception):
    pass


def encode_clip(path, frames):
    """The clients' video: vtest.avi's first frames at 640x480, VP8 at CLIP_BITRATE, one keyframe
    (the clients make a keyframe when asked by skipping to it, as a browser would encode one)."""
    if not os.path.exists(CLIP_SOURCE):
        raise SetupError("%s is missing: install opencv-doc (make deps does)" % CLIP_SOURCE)
    pipeline = (
        "filesrc location=%s ! decodebin ! videoconvert ! videoscale "
        "! video/x-raw,format=I420,width=640,height=480,pixel-aspect-ratio=1/1 "
        "! identity eos-after=%d "
        "! vp8enc deadline=1 cpu-used=4 lag-in-frames=0 end-usage=cbr target-bitrate=%d "
        "keyframe-max-dist=%d threads=2 ! webmmux ! filesink location=%s"
        % (CLIP_SOURCE, frames, CLIP_BITRATE * CLIP_SOURCE_FPS // 30, frames, path))
    result = subprocess.run(["gst-launch-1.0", "-q"] + pipeline.split(), capture_output=True,
                            text=True, timeout=300)
    if result.returncode != 0 or not os.path.getsize(path):
        raise SetupError("cannot encode the clip: %s" % result.stderr.strip()[-500:])


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def run_step(args, server, n, clip):
    """N sessions against a fresh server: a dict of what was measured."""
    clients = None
    with server:
        try:
            clients = Clients(args.peer, server, n, clip, args.client_cpus, args.stagger_s,
                              args.connect_s + 2 * n * args.stagger_s + args.warmup_s
                              + args.window_s + 30)
            connected = clients.wait_connected(args.connect_s + n * args.stagger_s)
            time.sleep(args.warmup_s)
            clock = CpuClock(server.pid(), clients.pids())
            start = time.monotonic()
            time.sleep(args.window_s)
            cpu = clock.read()
            end = time.monotonic()
        finally:
            reports = clients.finish() if clients is not None else []
    fps, kbps = zip(*clients.rates(start, end))
    errors = sorted({e for r in reports for e in (r or {}).get("errors", ["no report"])})
    return {
        "sessions": n,
        "connected": connected,
        "fps": [round(f, 1) for f in fps],
        "kbps": [round(k) for k in kbps],
        "fps_min": round(min(fps), 1),
        "fps_median": round(median(fps), 1),
        "kbps_median": round(median(kbps)),
        "server_cpu": round(cpu["server"], 1),
        "clients_cpu": round(cpu["clients"], 1),
        "others_cpu": round(cpu["others"], 1),
        "sustained": connected == n and min(fps) >= args.min_fps,
        "errors": errors,
    }


def describe(server, step):
    print("%-6s %-11s N=%-2d connected %d, fps min %5.1f median %5.1f, %4d kbit/s, server "
          "%5.1f%% clients %5.1f%% others %5.1f%% of a core%s%s"
          % (server.kind, server.chain, step["sessions"], step["connected"], step["fps_min"],
             step["fps_median"], step["kbps_median"], step["server_cpu"], step["clients_cpu"],
             step["others_cpu"],
             "" if step["sustained"] else "  (not sustained)",
             "  errors: " + "; ".join(step["errors"]) if step["errors"] else ""),
          flush=True)


def measure(args, clip):
    """{chain: {kind: [step, ...]}}: the servers take turns at each N, so that whatever else the
    machine does weighs on both alike."""
    results = {}
    for chain in args.chains:
        contenders = [servers.make(kind, chain, CHAINS[chain], args) for kind in args.servers]
        steps = {s.kind: [] for s in contenders}
        for n in args.counts:
            for server in contenders:
                if steps[server.kind] and not steps[server.kind][-1]["sustained"] \
                        and not args.quick:
                    continue
                step = run_step(args, server, n, clip)
                describe(server, step)
                for _ in range(args.retries if not step["sustained"] else 0):
                    step = run_step(args, server, n, clip)
                    describe(server, step)
                    if step["sustained"]:
                        break
                steps[server.kind].append(step)
        results[chain] = steps
    return results


def quick_failures(results):
    """What the short test checks: sessions connected and numbers came out."""
    failures = []
    for chain, by_kind in results.items():
        for kind, steps in by_kind.items():
            for step in steps:
                where = "%s %s N=%d" % (kind, chain, step["sessions"])
                if step["connected"] != step["sessions"]:
                    failures.append("%s: %d of %d sessions connected (%s)"
                                    % (where, step["connected"], step["sessions"],
                                       "; ".join(step["errors"])))
                if not (step["fps_min"] > 0 and step["server_cpu"] > 0
                        and step["clients_cpu"] > 0):
                    failures.append("%s: no frame rate or CPU time came out: %s"
                                    % (where, json.dumps(step)))
    return failures


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rtfx-launch", required=True, help="the rtfx-launch binary to measure")
    parser.add_argument("--peer", required=True, help="the rtfx-test-peer binary")
    parser.add_argument("--aiortc-example", default=servers.AIORTC_EXAMPLE_DIR,
                        help="aiortc's example server directory (default %(default)s)")
    parser.add_argument("--servers", default="rtfx,aiortc",
                        help="which servers, of rtfx and aiortc (default %(default)s)")
    parser.add_argument("--chains", default=",".join(CHAINS),
                        help="which chains, of %s (default all)" % ", ".join(CHAINS))
    parser.add_argument("--counts", default="1,2,4,6,8,10,12,14,16,20,24",
                        help="session counts to step through (default %(default)s)")
    parser.add_argument("--min-fps", type=float, default=28,
                        help="every session's frames back a second, for N to be sustained "
                        "(default %(default)s)")
    parser.add_argument("--retries", type=int, default=1,
                        help="measure an N not sustained again this many times before "
                        "stopping (a busy moment of a shared machine; default %(default)s)")
    parser.add_argument("--warmup-s", type=float, default=5,
                        help="after every session has video back, before measuring")
    parser.add_argument("--window-s", type=float, default=10, help="the measuring window")
    parser.add_argument("--connect-s", type=float, default=20,
                        help="bound for every session to get video back (plus the stagger)")
    parser.add_argument("--stagger-s", type=float, default=0.2,
                        help="between the start of one client and the next")
    # On 2 cores, separate CPUs would leave the server one: half the machine the question is
    # about, and libvpx's threaded encoder spins when its threads share a core. The clients are
    # light, and what they take is measured.
    parser.add_argument("--server-cpus", default="all",
                        help="CPUs the server may use (taskset list or all, default %(default)s)")
    parser.add_argument("--client-cpus", default="all",
                        help="CPUs the clients may use (default %(default)s)")
    parser.add_argument("--clip", help="a VP8 WebM clip to send (default: encode one from %s)"
                        % CLIP_SOURCE)
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--doc", help="rewrite the capacity section of this Markdown file")
    parser.add_argument("--img-dir", help="write the plots here (with --doc)")
    parser.add_argument("--quick", action="store_true", help="the short test (see above)")
    args = parser.parse_args()
    if args.quick:
        args.counts, args.chains = "1,2", "edges"
        args.warmup_s, args.window_s, args.connect_s, args.retries = 1, 2, 20, 0
    args.servers = args.servers.split(",")
    args.chains = args.chains.split(",")
    args.counts = [int(n) for n in args.counts.split(",")]
    if not set(args.servers) <= set(servers.KINDS) or not set(args.chains) <= set(CHAINS):
        parser.error("unknown server or chain")
    if bool(args.doc) != bool(args.img_dir):
        parser.error("--doc and --img-dir go together")
    args.server_cpus = servers.cpu_set(args.server_cpus)
    args.client_cpus = servers.cpu_set(args.client_cpus)
    return args


def main():
    args = parse_args()
    work = tempfile.mkdtemp(prefix="rtfx-capacity-")
    try:
        servers.check(args)
        clip = args.clip or os.path.join(work, "clip.webm")
        if not args.clip:
            encode_clip(clip, QUICK_CLIP_FRAMES if args.quick else CLIP_FRAMES)
        run = {"started": time.strftime("%Y-%m-%d %H:%M"), "load_before": os.getloadavg(),
               "machine": servers.machine(), "server_cpus": sorted(args.server_cpus),
               "client_cpus": sorted(args.client_cpus), "min_fps": args.min_fps,
               "warmup_s": args.warmup_s, "window_s": args.window_s, "retries": args.retries}
        run["results"] = measure(args, clip)
        run["load_after"] = os.getloadavg()
    except servers.Skip as e:
        print("SKIP:", e)
        return 77
    except (SetupError, servers.SetupError) as e:
        print("set-up error:", e)
        return 99
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(run, f, indent=1)
    if args.doc:
        import report  # matplotlib, only when writing the documentation
        report.write(run, args.doc, args.img_dir)
        print("wrote the capacity section of %s and its plots in %s" % (args.doc, args.img_dir))
    if args.quick:
        failures = quick_failures(run["results"])
        for failure in failures:
            print("FAIL:", failure)
        print("PASS" if not failures else "FAILED")
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

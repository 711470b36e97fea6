"""bench/capacity's results as the capacity section of docs/performance.md (between BEGIN and END,
which this module owns: anything between them is rewritten) and one plot per chain, with
Debian's matplotlib."""

import os
import re
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after choosing the backend)
from matplotlib.ticker import MaxNLocator  # noqa: E402

BEGIN = "<!-- capacity:begin (written by bench/capacity/report.py; edit that, not this) -->"
END = "<!-- capacity:end -->"
NAMES = {"rtfx": "rtfx-launch", "aiortc": "aiortc example"}
COLOURS = {"rtfx": "tab:blue", "aiortc": "tab:orange"}
WIDTH = 105  # as the rest of docs/performance.md
NOISY = 25  # % of a core used by the rest of the machine during a window: it was not quiet


def sustained(steps):
    """(the largest N sustained before the first N that was not, whether a larger N failed)."""
    best = 0
    for step in steps:
        if not step["sustained"]:
            return best, True
        best = step["sessions"]
    return best, False


def count_text(steps):
    best, failed = sustained(steps)
    return "%d" % best if failed else "≥ %d" % best


def ratio_text(a, b):
    return "%.1f×" % (a / b) if a and b else "n/a"


def cpu_at_one(steps):
    return next((s["server_cpu"] for s in steps if s["sessions"] == 1), None)


def summary_table(run):
    lines = ["| chain | rtfx-launch sustains | aiortc sustains | sessions ratio "
             "| server CPU for 1 session, aiortc ÷ rtfx |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for chain, by_kind in run["results"].items():
        rtfx, aiortc = by_kind.get("rtfx", []), by_kind.get("aiortc", [])
        lines.append("| %s | %s | %s | **%s** | %s |" % (
            chain, count_text(rtfx), count_text(aiortc),
            ratio_text(sustained(rtfx)[0], sustained(aiortc)[0]),
            ratio_text(cpu_at_one(aiortc), cpu_at_one(rtfx))))
    return lines


def step_table(by_kind):
    lines = ["| sessions | server | fps back, min / median | kbit/s back, median | server CPU "
             "| clients CPU | rest of the machine | sustained |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    rows = sorted(((s["sessions"], kind, s) for kind, steps in by_kind.items() for s in steps),
                  key=lambda row: (row[0], row[1] != "rtfx"))
    for n, kind, s in rows:
        lines.append("| %d | %s | %.1f / %.1f | %d | %.0f %% | %.0f %% | %.0f %%%s | %s |" % (
            n, NAMES[kind], s["fps_min"], s["fps_median"], s["kbps_median"], s["server_cpu"],
            s["clients_cpu"], s["others_cpu"], " (noisy)" if s["others_cpu"] > NOISY else "",
            "yes" if s["sustained"] else "**no**" + (
                " (%d of %d connected)" % (s["connected"], n) if s["connected"] < n else "")))
    return lines


def plot(chain, by_kind, min_fps, path):
    fig, (fps_axes, cpu_axes) = plt.subplots(1, 2, figsize=(10, 4))
    for kind, steps in by_kind.items():
        n = [s["sessions"] for s in steps]
        colour = COLOURS[kind]
        fps_axes.plot(n, [s["fps_min"] for s in steps], "o-", color=colour,
                      label="%s, slowest session" % NAMES[kind])
        fps_axes.plot(n, [s["fps_median"] for s in steps], "--", color=colour,
                      label="%s, median" % NAMES[kind])
        cpu_axes.plot(n, [s["server_cpu"] for s in steps], "o-", color=colour,
                      label="%s" % NAMES[kind])
        cpu_axes.plot(n, [s["clients_cpu"] for s in steps], ":", color=colour,
                      label="its clients")
    fps_axes.axhline(min_fps, color="grey", linewidth=0.8)
    fps_axes.set(title="%s: frames back a second" % chain, xlabel="concurrent sessions",
                 ylabel="fps", ylim=(0, 40))
    cpu_axes.set(title="CPU (100 % = one core)", xlabel="concurrent sessions", ylabel="%",
                 ylim=(0, None))
    for axes in (fps_axes, cpu_axes):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    fps_axes.legend(fontsize="small")
    cpu_axes.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def cpus_text(cpus):
    return "CPU %s" % cpus[0] if len(cpus) == 1 else "CPUs %s" % ", ".join(map(str, cpus))


def placement(server_cpus, client_cpus):
    """Where the server and the clients ran, as a sentence."""
    if server_cpus == client_cpus:
        return ("The server and its clients share %s (not pinned apart: the clients column says "
                "what the clients took)." % cpus_text(server_cpus))
    return ("The server is pinned to %s, its clients to %s (taskset)."
            % (cpus_text(server_cpus), cpus_text(client_cpus)))


def paragraph(text):
    return textwrap.fill(text, WIDTH, break_on_hyphens=False, break_long_words=False)


def method(run):
    return paragraph(
        "**Method.** For each chain and each number of sessions N (1, 2, 4, 6, 8, …), each "
        "server is started afresh and N clients connect to it a moment apart. %s A "
        "client is `tests/peer/rtfx-test-peer --send-file … --no-decode`: it sends a "
        "pre-encoded clip in a loop, 30 frames a second, without encoding it (the first 300 "
        "frames of OpenCV's `vtest.avi`, scaled to 640×480, VP8 at 1 Mbit/s), skips to a "
        "keyframe when the server asks for one, and counts the frames that come back without "
        "decoding them, so that it costs a small part of what its session costs the server. "
        "Once every session has video back, %g s of warm-up, then a %g s window: each "
        "session's frames and bits back a second, and the CPU time (user + system) of the "
        "server process and of all the clients, in %% of one core. The rest of the machine is "
        "everything else that ran meanwhile (the kernel's loopback work, other users of the "
        "machine); a step where it exceeds %d %% is marked noisy: do not trust its figures. A "
        "server's steps stop at its first N not sustained (tried %d times)."
        % (placement(run["server_cpus"], run["client_cpus"]), run["warmup_s"],
           run["window_s"], NOISY, 1 + run["retries"]))


def section(run, images):
    machine = run["machine"]
    lines = [
        BEGIN,
        "## Concurrent sessions: rtfx-launch against aiortc's example server",
        "",
        paragraph(
            "How many 640×480@30 WebRTC sessions one server sustains on this machine: "
            "rtfx-launch, and the aiortc example server Debian ships (python3-aiortc's "
            "`examples/server/server.py`, run unchanged from a copy), measured side by side in "
            "one run by `make bench` (`bench/capacity/capacity.py`). N sessions are *sustained* "
            "when every one of them gets at least %g frames a second back. Both servers receive "
            "VP8, decode every frame, process it and encode it again; rtfx-launch runs "
            "`rtfxlatest ! rtfxedges` (edges) or `identity` (passthrough), the aiortc example "
            "its `edges` transform (OpenCV's Canny on a BGR picture) or none. Compare the "
            "ratios, not the absolute figures." % run["min_fps"]),
        "",
    ] + summary_table(run) + [
        "",
        method(run),
        "",
        paragraph(
            "Frame rate is not all: rtfx-launch drops a frame the chain has no time for "
            "(`rtfxlatest`), where aiortc queues every frame, so an aiortc session that falls "
            "behind may keep its rate for a while as its delay grows. This bench does not "
            "measure delay."),
        "",
    ]
    for chain, by_kind in run["results"].items():
        lines += ["### %s" % chain, ""] + step_table(by_kind) + [
            "", "![%s: frame rates and CPU against sessions](%s)" % (chain, images[chain]), ""]
    lines += [
        paragraph("Measured %s on %s (%d CPUs); load average before the run %.2f, after %.2f."
                  % (run["started"], machine["cpu"], machine["cpus"], run["load_before"][0],
                     run["load_after"][0])),
        END,
    ]
    return "\n".join(lines) + "\n"


def write(run, doc, img_dir):
    """Rewrites the capacity section of doc (appended if it has none) and the plots."""
    os.makedirs(img_dir, exist_ok=True)
    images = {}
    for chain, by_kind in run["results"].items():
        path = os.path.join(img_dir, "capacity-%s.png" % chain)
        plot(chain, by_kind, run["min_fps"], path)
        images[chain] = os.path.relpath(path, os.path.dirname(os.path.abspath(doc)))
    with open(doc) as f:
        text = f.read()
    new = section(run, images)
    pattern = re.compile(re.escape(BEGIN.split(" (")[0]) + r".*?" + re.escape(END) + r"\n?",
                         re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: new, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + new
    with open(doc, "w") as f:
        f.write(text)

#!/usr/bin/python3
"""The session bench's report: tables in a Markdown page and plots beside it.

  report.py RESULTS.json --doc docs/performance.md [--img docs/img]

Rewrites, in place, what lies between the page's markers (adding them at the end when the page has
none) and keeps the rest of the page:
  <!-- session-bench:begin --> ... <!-- session-bench:end -->     rtfx against aiortc
  <!-- session-defaults:begin --> ... <!-- session-defaults:end --> rtfx's variants (--variants)
and writes PNG plots (matplotlib) into --img (default: an img folder beside the page), linked from
the tables. Every figure of a contender is the median over its rounds; the round trip pools the
samples of all rounds.
"""
import argparse
import json
import os
import re
import statistics
import sys
from collections import OrderedDict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MARKERS = {
    "main": ("<!-- session-bench:begin -->", "<!-- session-bench:end -->"),
    "defaults": ("<!-- session-defaults:begin -->", "<!-- session-defaults:end -->"),
}
COLOURS = {"rtfx": "#1f77b4", "aiortc": "#ff7f0e"}
# The targets; make bench reports them, nothing asserts them.
TARGET_CPU_RATIO = 1 / 3
TARGET_RT_MS = 33
TARGET_FIRST_FRAME_MS = 300
# The aiortc contender whose page the probe asks to keep the camera's resolution (session-bench.mjs, group "size"):
# the CPU comparison at equal picture size.
EQUAL_SIZE = ("edges", "aiortc keeping 640×480")
# rtfx's contender in that group: its bitrate capped at about aiortc's.
EQUAL_BITS = ("edges", "rtfx --max-bitrate 1000")
# Sessions of rtfx-launch's own variants (the defaults table), not of another server.
NOT_VARIANTS = (None, "main", "size")
# A camera preview slower than this share of the clip's frame rate means the browser did not get the CPU it
# needed: the machine was too busy for that session's figures to mean much.
BUSY_PREVIEW_SHARE = 0.9


def med(values):
    values = [v for v in values if isinstance(v, (int, float))]
    return statistics.median(values) if values else None


def quantile(values, q):
    if not values:
        return None
    s = sorted(values)
    pos = (len(s) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def num(x, digits=0):
    return "–" if x is None else f"{x:.{digits}f}"


class Contender:
    """The sessions of one contender in one browser, and their figures."""

    def __init__(self, sessions):
        ok = [s for s in sessions if "error" not in s]
        self.first = sessions[0]
        self.n, self.failed = len(ok), len(sessions) - len(ok)
        self.errors = [s["error"] for s in sessions if "error" in s]
        for key in ("firstFrameMs", "fps", "kbps", "qp", "cpuPct", "browserCpuPct", "sentFps", "previewFps", "width",
                    "height", "sentWidth", "sentHeight", "remoteUnreadable", "remoteFramesInWindow"):
            setattr(self, key, med([s.get(key) for s in ok]))
        self.firstFrames = [s["firstFrameMs"] for s in ok if "firstFrameMs" in s]
        self.cpus = [s["cpuPct"] for s in ok if "cpuPct" in s]
        self.rt = [x for s in ok for x in s.get("rtSamples", [])]
        self.rtMedian, self.rtP90 = quantile(self.rt, 0.5), quantile(self.rt, 0.9)
        # Each session's own median: a session keeps its round trip, and sessions differ (the phase of the
        # camera's frames against the browser's display, which a session keeps from its start).
        self.rtSessions = [quantile(s["rtSamples"], 0.5) for s in ok if s.get("rtSamples")]

    def rt_sessions(self):
        return ", ".join(num(x) for x in self.rtSessions) or "–"

    def size(self, sent=False):
        w, h = (self.sentWidth, self.sentHeight) if sent else (self.width, self.height)
        return "–" if w is None else f"{w:.0f}×{h:.0f}"


def contenders(results, browser, group=None):
    by = OrderedDict()
    for s in results["sessions"]:
        if s["browser"] != browser or (group is not None and s.get("group") != group):
            continue
        by.setdefault((s["workload"], s["contender"]), []).append(s)
    return OrderedDict((k, Contender(v)) for k, v in by.items())


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def main_table(results, chromium, firefox, img_rel):
    meta = results["meta"]
    m = meta["machine"]
    lines = [
        f"Run of {meta['date'][:16].replace('T', ' ')} UTC: {meta['rounds']} round(s), each session measured over "
        f"{meta['windowS']} s after a {meta['warmupS']} s warm-up"
        + (f", Start pressed {meta['settleS']} s after the page loaded" if "settleS" in meta else "")
        + f"; {m['cpu']}, {m['cores']} cores; load average "
        f"(1, 5, 15 min) {' '.join(m['loadavg'].split()[:3])} at the start, "
        f"{' '.join(meta.get('loadavgEnd', '? ? ?').split()[:3])} at the end. "
        f"{meta.get('rtfxVersion') or 'rtfx-launch (version unknown)'}, aiortc {meta.get('aiortcVersion') or '?'}, "
        + ", ".join(f"{k} {v}" for k, v in meta.get("browsers", {}).items()) + ".",
        "",
    ]
    if chromium:
        lines += [
            "**Chromium**, playing the numbered clip as its camera:",
            "",
            "| workload | server | first frame ms | fps | round trip ms, median (p90) | each session's round trip "
            "| kb/s received | QP | size | server CPU % of a core |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
        ]
        for (w, name), c in chromium.items():
            lines.append(f"| {w} | {name} | {num(c.firstFrameMs)} | {num(c.fps, 1)} | {num(c.rtMedian)} "
                         f"({num(c.rtP90)}) | {c.rt_sessions()} | {num(c.kbps)} | {num(c.qp, 1)} | {c.size()} | {num(c.cpuPct, 1)} |"
                         + (f" {c.failed} of {c.n + c.failed} sessions failed |" if c.failed else ""))
        lines += ["", "Ratios rtfx / aiortc in the same run (below 1: rtfx uses less, waits less):", "",
                  "| workload | server CPU | round trip (median) | first frame | QP |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        for w in workloads(chromium):
            r, a = chromium.get((w, "rtfx")), chromium.get((w, "aiortc"))
            if r and a:
                lines.append(f"| {w} | {num(ratio(r.cpuPct, a.cpuPct), 2)} | {num(ratio(r.rtMedian, a.rtMedian), 2)} "
                             f"| {num(ratio(r.firstFrameMs, a.firstFrameMs), 2)} | {num(ratio(r.qp, a.qp), 2)} |")
        lines.append("")
    if firefox:
        lines += [
            "**Firefox**, with its own fake camera (it cannot play a file, so its frames carry no number and "
            "there is no round trip; it reports no QP):",
            "",
            "| workload | server | first frame ms | fps | kb/s received | size sent → received "
            "| server CPU % of a core |",
            "| --- | --- | ---: | ---: | ---: | --- | ---: |",
        ]
        for (w, name), c in firefox.items():
            lines.append(f"| {w} | {name} | {num(c.firstFrameMs)} | {num(c.fps, 1)} | {num(c.kbps)} "
                         f"| {c.size(sent=True)} → {c.size()} | {num(c.cpuPct, 1)} |")
        lines.append("")
    lines += targets(chromium, firefox)
    lines += ["", f"![Server CPU per session]({img_rel}/session-cpu.png)",
              f"![Round trip]({img_rel}/session-round-trip.png)",
              f"![First frame]({img_rel}/session-first-frame.png)"]
    fps = meta["clip"]["fps"]
    busy = [s for s in results["sessions"]
            if s["browser"] == "chromium" and s.get("previewFps", fps) < BUSY_PREVIEW_SHARE * fps]
    if busy:
        lines += ["", f"In {len(busy)} of the Chromium sessions the camera preview ran below "
                  f"{BUSY_PREVIEW_SHARE * fps:.0f} fps (as low as {min(s['previewFps'] for s in busy):.1f}): the browser "
                  "was short of CPU there, and those sessions' figures say more about the machine than the servers."]
    failed = [s for s in results["sessions"] if "error" in s]
    if failed:
        lines += ["", "Failed sessions:", ""]
        lines += [f"- {s['browser']} {s['workload']} {s['contender']} (round {s['round'] + 1}): {s['error']}"
                  for s in failed]
    return lines


def workloads(table):
    return list(OrderedDict.fromkeys(w for w, _ in table))


def targets(chromium, firefox):
    def verdict(ok):
        return "–" if ok is None else ("met" if ok else "**not met**")

    r, a = chromium.get(("edges", "rtfx")), chromium.get(("edges", "aiortc"))
    lines = ["Targets (issue 12), from this run:", ""]
    def cpu_target(label, ours, theirs):
        """One line of the CPU target: ours against theirs, CPU ratio and QP."""
        cpu = ratio(ours.cpuPct, theirs.cpuPct)
        quality = None if ours.qp is None or theirs.qp is None else ours.qp <= theirs.qp
        ok = None if cpu is None or quality is None else cpu <= TARGET_CPU_RATIO and quality
        return (f"- {label}: CPU ratio {num(cpu, 2)}, QP {num(ours.qp, 1)} against {num(theirs.qp, 1)}: "
                f"{verdict(ok)}")

    if r and a:
        lines.append(cpu_target("edges session at ≤ ⅓ of aiortc's CPU with equal or better quality (QP no higher)",
                                r, a))
        e = chromium.get(EQUAL_SIZE)
        if e:
            lines.append(cpu_target("the same at equal size (aiortc's page asked to keep the camera's resolution, as "
                                    f"rtfx's page does; it got {e.size()})", r, e))
            b = chromium.get(EQUAL_BITS)
            if b:
                lines.append(cpu_target(f"the same with rtfx's bitrate capped (`--max-bitrate 1000`): {num(b.kbps)} "
                                        f"kb/s against aiortc's {num(e.kbps)}", b, e))
        lines.append(f"- round trip ≤ {TARGET_RT_MS} ms median on loopback (Chromium, edges): {num(r.rtMedian)} ms: "
                     f"{verdict(None if r.rtMedian is None else r.rtMedian <= TARGET_RT_MS)}")
        lines.append(f"- first frame ≤ {TARGET_FIRST_FRAME_MS} ms (Chromium, edges): {num(r.firstFrameMs)} ms: "
                     f"{verdict(None if r.firstFrameMs is None else r.firstFrameMs <= TARGET_FIRST_FRAME_MS)}")
    for browser, table in (("Chromium", chromium), ("Firefox", firefox)):
        r, a = table.get(("edges", "rtfx")), table.get(("edges", "aiortc"))
        if r and a and r.firstFrameMs is not None and a.firstFrameMs is not None:
            lines.append(f"- first frame below aiortc's ({browser}, edges): {num(r.firstFrameMs)} against "
                         f"{num(a.firstFrameMs)} ms: {verdict(r.firstFrameMs < a.firstFrameMs)}")
    return lines


def defaults_table(results, img_rel):
    main = contenders(results, "chromium", "main").get(("edges", "rtfx"))
    variants = contenders(results, "chromium")
    rows = [(("edges", "rtfx"), main)] if main else []
    rows += [(k, c) for k, c in variants.items() if c.first.get("group") not in NOT_VARIANTS]
    if len(rows) < 2:
        return ["No variants in this run (`session-bench.mjs --variants`, which `make bench` passes)."]
    lines = [
        "Chromium, edges workload, rtfx-launch only; the first row is rtfx's defaults (`--latency 50`, "
        "`--playout-delay 0`, `rtfxlatest ! rtfxedges`). `slow` is `rtfxdelay delay-ms=50 ! rtfxedges`, a chain that needs 50 ms a "
        "frame where the camera gives one every 33 ms.",
        "",
        "| contender | server arguments | round trip ms, median (p90) | each session's round trip | Δ round trip "
        "| first frame ms | Δ first frame | fps | kb/s | QP | server CPU % |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def delta(a, b):
        return "–" if a is None or b is None else f"{a - b:+.0f}"

    ref = rows[0][1] if main else None
    for (_, name), c in rows:
        # Another launcher (--other-launcher) shows as its file's name, not where it was on the bench's machine.
        args = " ".join(os.path.basename(a) if a.startswith("/") else a for a in c.first["args"])
        label = "rtfx defaults" if name == "rtfx" else name.removeprefix("rtfx ")
        lines.append(f"| {label} | `{args}` | {num(c.rtMedian)} ({num(c.rtP90)}) | {c.rt_sessions()} "
                     f"| {delta(c.rtMedian, ref.rtMedian) if ref and c is not ref else ''} | {num(c.firstFrameMs)} "
                     f"| {delta(c.firstFrameMs, ref.firstFrameMs) if ref and c is not ref else ''} "
                     f"| {num(c.fps, 1)} | {num(c.kbps)} | {num(c.qp, 1)} | {num(c.cpuPct, 1)} |")
    lines += ["", f"![Round trip of rtfx's variants]({img_rel}/session-defaults.png)"]
    return lines


# ---------------------------------------------------------------------------------------------------------------
# Plots


def plot_cpu(chromium, firefox, path):
    panels = [(b, t) for b, t in (("Chromium", chromium), ("Firefox", firefox)) if t]
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.6), squeeze=False)
    for ax, (browser, table) in zip(axes[0], panels):
        ws = workloads(table)
        for j, server in enumerate(("rtfx", "aiortc")):
            xs = [i + (j - 0.5) * 0.38 for i in range(len(ws))]
            cs = [table.get((w, server)) for w in ws]
            ax.bar(xs, [(c.cpuPct or 0) if c else 0 for c in cs], width=0.36, color=COLOURS[server], label=server)
            for x, c in zip(xs, cs):
                if c:
                    ax.plot([x] * len(c.cpus), c.cpus, "k.", markersize=4)
        ax.set_xticks(range(len(ws)), ws)
        ax.set_ylabel("server CPU, % of one core")
        ax.set_title(f"{browser}: server CPU (bars: median, dots: sessions)", fontsize=9)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_round_trip(chromium, path):
    keys = [k for k, c in chromium.items() if c.rt]
    fig, ax = plt.subplots(figsize=(max(5, 1.3 * len(keys)), 3.6))
    if keys:
        box = ax.boxplot([chromium[k].rt for k in keys], whis=(10, 90), showfliers=False, patch_artist=True)
        for patch, (_, server) in zip(box["boxes"], keys):
            patch.set_facecolor(COLOURS.get(server, "#999999"))
        ax.set_xticks(range(1, len(keys) + 1), [f"{w}\n{s}" for w, s in keys], fontsize=8)
        ax.set_yscale("log")
    ax.axhline(TARGET_RT_MS, color="grey", linestyle=":", linewidth=1)
    ax.set_ylabel("round trip, ms (log)")
    ax.set_title("Chromium: camera preview to processed video (box: quartiles, whiskers: p10–p90)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_first_frame(chromium, firefox, path):
    rows = [(f"{b}\n{w}\n{s}", c) for b, t in (("Chromium", chromium), ("Firefox", firefox)) for (w, s), c in t.items()]
    fig, ax = plt.subplots(figsize=(max(5, 0.9 * len(rows)), 3.6))
    for i, (label, c) in enumerate(rows):
        ax.plot([i] * len(c.firstFrames), c.firstFrames, "o", color=COLOURS.get(c.first["server"]), alpha=0.7)
        if c.firstFrameMs is not None:
            ax.plot([i - 0.25, i + 0.25], [c.firstFrameMs] * 2, "k-")
    ax.axhline(TARGET_FIRST_FRAME_MS, color="grey", linestyle=":", linewidth=1)
    ax.set_xticks(range(len(rows)), [r[0] for r in rows], fontsize=7)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("click to first processed frame, ms")
    ax.set_title("First frame (dots: sessions, line: median)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_defaults(results, path):
    table = contenders(results, "chromium")
    keys = [k for k, c in table.items() if k == ("edges", "rtfx") or c.first.get("group") not in NOT_VARIANTS]
    keys = [k for k in keys if table[k].rt]
    fig, ax = plt.subplots(figsize=(max(5, 1.2 * len(keys)), 3.8))
    if keys:
        ax.boxplot([table[k].rt for k in keys], whis=(10, 90), showfliers=False)
        labels = ["defaults" if s == "rtfx" else s.removeprefix("rtfx ").replace(" ! ", " !\n").replace(", ", ",\n")
                  for _, s in keys]
        ax.set_xticks(range(1, len(keys) + 1), labels, fontsize=7)
        ax.set_yscale("log")
    ax.set_ylabel("round trip, ms (log)")
    ax.set_title("Chromium, edges: rtfx-launch's variants", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------------------------


def replace_between(text, markers, body):
    begin, end = markers
    block = begin + "\n" + "\n".join(body).rstrip() + "\n" + end
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text, count=1)
    return text.rstrip("\n") + "\n\n" + block + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results")
    parser.add_argument("--doc", required=True)
    parser.add_argument("--img")
    args = parser.parse_args()
    with open(args.results) as f:
        results = json.load(f)
    if not results.get("sessions"):
        sys.exit(f"{args.results} has no sessions")
    img = args.img or os.path.join(os.path.dirname(os.path.abspath(args.doc)), "img")
    os.makedirs(img, exist_ok=True)
    img_rel = os.path.relpath(img, os.path.dirname(os.path.abspath(args.doc)))

    chromium = contenders(results, "chromium", "main")
    chromium.update(contenders(results, "chromium", "size"))
    firefox = contenders(results, "firefox", "main")
    plot_cpu(chromium, firefox, os.path.join(img, "session-cpu.png"))
    plot_round_trip(chromium, os.path.join(img, "session-round-trip.png"))
    plot_first_frame(chromium, firefox, os.path.join(img, "session-first-frame.png"))
    plot_defaults(results, os.path.join(img, "session-defaults.png"))

    text = open(args.doc).read() if os.path.exists(args.doc) else "# Performance\n"
    text = replace_between(text, MARKERS["main"], main_table(results, chromium, firefox, img_rel))
    text = replace_between(text, MARKERS["defaults"], defaults_table(results, img_rel))
    with open(args.doc + ".part", "w") as f:
        f.write(text)
    os.replace(args.doc + ".part", args.doc)
    print(f"{args.doc}: session bench tables updated; plots in {img}")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Plots what the e2e scenario `bitrate` sampled (RTFX_BITRATE_CSV): the server's video bitrate, what
the page received and its frame rate, over the time the path was free, limited, and free again.

    bench/bitrate-plot.py RUN.csv OUT.png [TITLE]
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.strip())
    rows = list(csv.DictReader(open(sys.argv[1])))
    if not rows:
        sys.exit(f"{sys.argv[1]}: no samples")
    t = [float(r["s"]) for r in rows]

    def column(name):
        return [float(r[name]) if r[name] not in ("", "null") else None for r in rows]

    fig, (rate, fps) = plt.subplots(2, 1, sharex=True, figsize=(8, 5.5), height_ratios=(2, 1))
    limited = [x for x, r in zip(t, rows) if r["phase"] == "limited"]
    for ax in (rate, fps):
        if limited:
            ax.axvspan(min(limited), max(limited), color="0.9", label="path limited to 1 Mbit/s each way")
        ax.grid(alpha=0.3)
    rate.plot(t, column("bitrate_kbps"), label="server's video bitrate", drawstyle="steps-post")
    rate.plot(t, column("page_kbps"), label="received by the page", alpha=0.7)
    rate.set_ylabel("kbit/s")
    rate.legend(loc="upper left", fontsize="small")
    fps.plot(t, column("fps"), color="tab:green", label="frames decoded by the page")
    fps.axhline(20, color="tab:red", linestyle=":", label="20 fps")
    fps.set_ylabel("fps")
    fps.set_xlabel("seconds since the session connected")
    fps.set_ylim(0, 40)
    fps.legend(loc="lower left", fontsize="small")
    if len(sys.argv) == 4:
        rate.set_title(sys.argv[3])
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=100)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Draws the benchmark chart from the JSON that `eventlog_bench` writes.

Left: throughput per engine (records/s, log scale; medians of the runs).
Right: tail-latency distribution from flush to wake-up, as HdrHistogram plots
it: latency against percentile on a 1/(1-p) axis, so the tail is visible.

    python3 -m pip install matplotlib
    python3 bench/plot.py bench/results/bench-full.json            # -> bench/results/bench.png
    python3 bench/plot.py RESULTS.json --out OTHER.png
"""
import argparse
import json
import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

HERE = os.path.dirname(os.path.abspath(__file__))

WORKLOADS = [
    ("append_batch.100.rps", "append\nbatch 100 B"),
    ("append_one.100.rps", "append\none-record 100 B"),
    ("append_batch.1k.rps", "append\nbatch 1 KiB"),
    ("replay.100.rps", "replay\n100 B"),
    ("replay.1k.rps", "replay\n1 KiB"),
    ("durable.8.rps", "durable append\n8 threads"),
]
COLORS = {
    "eventlog": "#d62728",
    "sqlite-normal": "#9ecae1",
    "sqlite-full": "#3182bd",
    "lmdb": "#31a354",
    "rocksdb": "#756bb1",
}


def median(metrics, name):
    m = metrics.get(name)
    return m.get("median") if m else None


def throughput(ax, results):
    metrics = results["metrics"]
    engines = [e["name"] for e in results["engines"]]
    width = 0.8 / len(engines)
    for i, engine in enumerate(engines):
        xs, ys = [], []
        for j, (metric, _) in enumerate(WORKLOADS):
            value = median(metrics, f"{engine}.{metric}")
            if value:
                xs.append(j + (i - (len(engines) - 1) / 2) * width)
                ys.append(value)
        ax.bar(xs, ys, width, label=engine, color=COLORS.get(engine))
    ax.set_yscale("log")
    ax.set_xticks(range(len(WORKLOADS)))
    ax.set_xticklabels([label for _, label in WORKLOADS], fontsize=8)
    ax.set_ylabel("records/s (log scale)")
    ax.set_title("Throughput per engine (median of runs)")
    ax.grid(axis="y", which="major", alpha=0.3)
    ax.legend(fontsize=8)


def tail(ax, results):
    modes = (
        ("same", "libeventlog, same process", "#ff7f0e"),
        ("cross", "libeventlog, another process", "#d62728"),
        ("futex", "raw futex, another process (ceiling)", "#7f7f7f"),
    )
    for mode, label, color in modes:
        spectrum = results["tail_latency_us"].get(mode, {})
        points = [(p, us) for p, us in spectrum.get("percentiles", []) if p < 100]
        if not points:
            continue
        xs = [1 / (1 - p / 100) for p, _ in points]
        ax.plot(xs, [us for _, us in points], marker=".", label=f"{label} ({spectrum['count']} records)", color=color)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ticks = [50, 90, 99, 99.9, 99.99, 99.999]
    ax.set_xticks([1 / (1 - p / 100) for p in ticks])
    ax.set_xticklabels([f"{p:g}%" for p in ticks])
    ax.minorticks_off()
    ax.set_xlabel("percentile")
    ax.set_ylabel("flush to wake-up (µs, log scale)")
    config = results["config"]
    ax.set_title(f"Tail latency, {config['tail_rate'] / 1000:.0f}k records/s, 64 B, flush every {config['tail_flush_every']}")
    ax.grid(which="major", alpha=0.3)
    ax.legend(fontsize=8)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("json", nargs="?", default=os.path.join(HERE, "results", "bench-full.json"))
    parser.add_argument("--out", default=os.path.join(HERE, "results", "bench.png"))
    args = parser.parse_args()
    with open(args.json) as f:
        results = json.load(f)
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 5.2), gridspec_kw={"width_ratios": [1.5, 1]})
    throughput(left, results)
    tail(right, results)
    machine = results["machine"]
    fig.suptitle(
        f"libeventlog benchmark ({results['mode']} mode, {results['runs']} runs): "
        f"{machine['cpu']}, {machine['cores']} cores, {machine['filesystem']}",
        fontsize=10,
    )
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

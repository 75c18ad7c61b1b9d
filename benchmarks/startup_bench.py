"""Start-up figures: cold-start wall time, CPU time and peak RSS of `digits-edge --dir TestSet/Luis` in each
installed interpreter, and the `--help` times of digits-train, digits-convert and digits-edge.

Targets: digits-edge --dir TestSet/Luis <= 0.25 s wall and <= 80 MB peak RSS; each --help < 1 s.
Each run is a fresh process of the installed console script (imports, model load, 8 JPEGs, output), as a
systemd start or a shell command is; the page cache stays warm. On a shared machine wall time includes waiting
for a core: the minimum and the CPU time show what the program itself costs.

Usage: .venv/bin/python benchmarks/startup_bench.py [--runs 10] [--folder TestSet/Luis]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
RUNTIMES = ("ai-edge-litert", "tflite-runtime")
TARGET_DIR_WALL_S, TARGET_DIR_RSS_MB, TARGET_HELP_S = 0.25, 80.0, 1.0


@dataclass(frozen=True)
class Run:
    """One finished process: its wall and CPU seconds and peak resident memory."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    returncode: int
    stderr: str


def console_script(name: str) -> str:
    """The installed console script next to this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        sys.exit(f"{name} is not installed: run scripts/setup.sh")
    return found


def run_once(command: list[str]) -> Run:
    """Run `command` in a fresh process, output discarded, and measure it."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = process.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here (wait4 gives this child's own usage)
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, process.returncode, stderr)


def measure(command: list[str], runs: int) -> list[Run]:
    """`runs` fresh runs of `command`; exits with its error if one fails."""
    results = [run_once(command) for _ in range(runs)]
    failed = [result for result in results if result.returncode != 0]
    if failed:
        sys.exit(f"{' '.join(command)} failed: {failed[0].stderr.strip()}")
    return results


def spread(values: list[float], unit: str, digits: int = 2) -> str:
    return (f"min {min(values):.{digits}f}, median {statistics.median(values):.{digits}f}, "
            f"max {max(values):.{digits}f} {unit}")


def verdict(value: float, target: float) -> str:
    return "ok" if value <= target else "MISSED"


def installed(runtime: str) -> bool:
    module = {"ai-edge-litert": "ai_edge_litert", "tflite-runtime": "tflite_runtime"}[runtime]
    probe = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True)
    return probe.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="fresh processes per figure (default: 10)")
    parser.add_argument("--folder", type=Path, default=REPO_ROOT / "TestSet" / "Luis",
                        help="the folder read (default: TestSet/Luis)")
    args = parser.parse_args()

    edge = console_script("digits-edge")
    print(f"digits-edge --dir {args.folder.name}: {args.runs} fresh processes each, {os.cpu_count()} cores")
    for runtime in RUNTIMES:
        if not installed(runtime):
            print(f"  {runtime:15s} not installed")
            continue
        results = measure([edge, "--dir", str(args.folder), "--runtime", runtime], args.runs)
        walls = [result.wall_s for result in results]
        peak = max(result.peak_rss_mb for result in results)
        print(f"  {runtime:15s} wall {spread(walls, 's')}   target <= {TARGET_DIR_WALL_S} s (median): "
              f"{verdict(statistics.median(walls), TARGET_DIR_WALL_S)}")
        print(f"  {'':15s} CPU  {spread([result.cpu_s for result in results], 's')}")
        print(f"  {'':15s} peak RSS {spread([result.peak_rss_mb for result in results], 'MB', 0)}   "
              f"target <= {TARGET_DIR_RSS_MB:.0f} MB: {verdict(peak, TARGET_DIR_RSS_MB)}")
    print(f"--help: {args.runs} fresh processes each")
    for name in ("digits-train", "digits-convert", "digits-edge"):
        walls = [result.wall_s for result in measure([console_script(name), "--help"], args.runs)]
        print(f"  {name:15s} wall {spread(walls, 's')}   target < {TARGET_HELP_S:.0f} s: "
              f"{verdict(max(walls), TARGET_HELP_S)}")


if __name__ == "__main__":
    main()

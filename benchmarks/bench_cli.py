"""How fast the command line answers: ``uptrade --help`` and every group's ``--help``, in fresh processes.

Each command runs ``--runs`` times (after one warm-up run that fills the bytecode cache) and
prints its minimum and median wall time, beside two anchors measured in the same run: the bare
interpreter (``python -c pass``) and the smallest typer app with one command (typer + rich help,
the floor of any typer CLI). The goal is under 0.5 s with a warm bytecode cache.

    python benchmarks/bench_cli.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GROUPS = ("db", "data", "indicators", "cycles", "astro", "signals", "backtest", "optimize")
TINY_APP = """
import typer
app = typer.Typer()
@app.command()
def hello(name: str = "x") -> None:
    print(name)
@app.command()
def bye() -> None:
    pass
app()
"""


def timed(cmd: list[str], runs: int) -> tuple[float, float]:
    """(min, median) wall seconds of ``runs`` fresh processes of ``cmd``, after one warm-up."""
    subprocess.run(cmd, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    uptrade = [sys.executable, "-m", "uptrade.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        tiny = Path(tmp) / "tiny.py"
        tiny.write_text(TINY_APP)
        bare = timed([sys.executable, "-c", "pass"], args.runs)
        floor = timed([sys.executable, str(tiny), "--help"], args.runs)
    print(f"anchor: python -c pass          min {bare[0]:.3f} s  median {bare[1]:.3f} s")
    print(f"anchor: two-command typer app   min {floor[0]:.3f} s  median {floor[1]:.3f} s")
    rows = [("uptrade --help", [*uptrade, "--help"])]
    rows += [(f"uptrade {g} --help", [*uptrade, g, "--help"]) for g in GROUPS]
    worst = 0.0
    for name, cmd in rows:
        low, mid = timed(cmd, args.runs)
        worst = max(worst, mid)
        print(
            f"{name:<28}    min {low:.3f} s  median {mid:.3f} s  = {mid / floor[1]:.2f}x the typer floor, "
            f"{mid / 0.5:.2f} of the 0.5 s goal"
        )
    print(f"slowest median {worst:.3f} s: {'meets' if worst < 0.5 else 'misses'} the 0.5 s goal")


if __name__ == "__main__":
    main()

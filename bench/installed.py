"""gitwt as a user installs it, for the benchmarks: a wheel, pip-installed into a new venv.

    python bench/installed.py [--source .] [--into DIR]     # prints the console script's path

A user runs the `git-parallel` console script pip wrote, from bytecode pip compiled at install
time; `python -m gitwt` from a source checkout also pays for `runpy`, and compiles every module
again when the shell sets PYTHONDONTWRITEBYTECODE. `run_all.py --installed` builds one such venv
(about a minute: `pip wheel`, `python -m venv`, `pip install`, the dependencies from pip's
configured index) and hands its script to every bench through GITWT_BENCH_CLI; a bench run on its
own times `python -m gitwt` unless that variable is set.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CLI_VARIABLE = "GITWT_BENCH_CLI"


def cli_command() -> list[str]:
    """The command the benchmarks time: the installed console script when run_all built one.

    It runs without PYTHONPATH (`env -u`, about a millisecond, counted on our side): run_all
    puts the source tree there for the benches' own imports, and the script would import gitwt
    from that tree instead of the wheel, compiling every module again where the shell sets
    PYTHONDONTWRITEBYTECODE. A user's `git-parallel` sees no gitwt tree on PYTHONPATH."""
    script = os.environ.get(CLI_VARIABLE)
    return ["env", "-u", "PYTHONPATH", script] if script else [sys.executable, "-m", "gitwt"]


def install(source: Path, into: Path) -> Path:
    """Build a wheel of `source` and install it into a new venv under `into`; its script."""
    wheels, venv = into / "wheel", into / "venv"
    quiet = {"check": True, "stdout": subprocess.DEVNULL}
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)], **quiet)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], **quiet)
    wheel = next(wheels.glob("gitwt-*.whl"))
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], **quiet)  # compiles
    return venv / "bin" / "git-parallel"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--into", type=Path, help="a new folder (default: a temporary one)")
    args = parser.parse_args()
    into = args.into or Path(tempfile.mkdtemp(prefix="gitwt-installed-"))
    print(install(args.source, into))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

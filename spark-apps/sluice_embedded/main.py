"""run_embedded.py's `main()`: the Spark app's contract (sluice_spark/contract.py), run on DuckDB.

Exit codes as the Spark app's: 0 committed (or already committed), 64 user failure, 65 data
failure, 70 platform failure the engine understood (out of memory past spilling), each
failure preceded by one SLUICE_FAILURE line on stderr; anything unexpected raises (exit 1).
"""

import argparse
from collections.abc import Sequence
from pathlib import Path

from sluice_spark.checks import InputStats
from sluice_spark.contract import log, run_once
from sluice_spark.spec import load_spec

from .engine import default_settings, run_embedded


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    spec = load_spec(args.spec)
    settings = default_settings(memory=args.memory, temp_dir=args.temp_dir, threads=args.threads)

    def work(inputs: list[InputStats]) -> None:
        log(spec, f"engine=embedded memory_limit={settings.memory_limit} threads={settings.threads}")
        run_embedded(spec, inputs, settings)

    return run_once(spec, work)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="run_embedded.py", description=__doc__)
    parser.add_argument("--spec", type=Path, required=True, help="path of the run spec (JSON)")
    parser.add_argument("--memory", help="DuckDB memory limit, e.g. 8GB (default: $SLUICE_EMBEDDED_MEMORY, else a quarter of the machine's memory)")
    parser.add_argument("--temp-dir", type=Path, help="folder for DuckDB's spill files (default: the system's temporary folder)")
    parser.add_argument("--threads", type=int, help="worker threads (default: the machine's cores)")
    return parser.parse_args(argv)

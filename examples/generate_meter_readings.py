"""Generate sample "meter readings" landings for the Sluice demo and benchmarks.

    python examples/generate_meter_readings.py --out DIR --rows 2000000 --files 4 [--seed 7] [--sites 40]

Writes DIR/readings-000.parquet, readings-001.parquet, ... with the columns
site (string, "site-017"), meter (string, "site-017-m04"), ts (timestamp, UTC, microseconds,
spread over 7 days), kwh (double) and status (string: mostly "ok", some "estimated" and
"error"). The output is the same for the same arguments. Each file is written under a hidden
temporary name and renamed, so a watcher never sees a half-written landing.

Vectorised with pyarrow.compute (no numpy needed): two million rows take a few seconds.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

METERS_PER_SITE = 25
START_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z in microseconds
SPAN_US = 7 * 24 * 3600 * 1_000_000
STATUSES = pa.array(["ok", "estimated", "error"])
# Cumulative shares of the statuses after "ok": 90% ok, 7% estimated, 3% error.
ESTIMATED_FROM, ERROR_FROM = 0.90, 0.97


def uniform(rows: int, seed: int) -> pa.DoubleArray:
    """Uniform doubles in [0, 1), reproducible for a seed."""
    return pc.random(rows, initializer=seed)


def scaled_index(values: pa.DoubleArray, size: int) -> pa.Array:
    """Map [0, 1) onto the integers 0 .. size - 1."""
    return pc.cast(pc.floor(pc.multiply(values, size)), pa.int64())


def readings_table(rows: int, sites: int, seed: int) -> pa.Table:
    site_names = [f"site-{site:03d}" for site in range(sites)]
    meter_names = [f"{name}-m{meter:02d}" for name in site_names for meter in range(METERS_PER_SITE)]
    # One independent stream per column, each seeded from the file's seed.
    site_index = scaled_index(uniform(rows, seed * 10 + 1), sites)
    meter_index = pc.add(pc.multiply(site_index, METERS_PER_SITE), scaled_index(uniform(rows, seed * 10 + 2), METERS_PER_SITE))
    offsets = scaled_index(uniform(rows, seed * 10 + 3), SPAN_US)
    kwh = pc.round(pc.add(pc.multiply(uniform(rows, seed * 10 + 4), 2.5), 0.05), 3)
    status_draw = uniform(rows, seed * 10 + 5)
    status_index = pc.add(
        pc.cast(pc.greater_equal(status_draw, ESTIMATED_FROM), pa.int8()),
        pc.cast(pc.greater_equal(status_draw, ERROR_FROM), pa.int8()),
    )
    return pa.table(
        {
            "site": pc.take(pa.array(site_names), site_index),
            "meter": pc.take(pa.array(meter_names), meter_index),
            "ts": pc.cast(pc.add(offsets, START_US), pa.timestamp("us", tz="UTC")),
            "kwh": kwh,
            "status": pc.take(STATUSES, status_index),
        }
    )


def write_atomically(table: pa.Table, path: Path) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, temporary)
    os.replace(temporary, path)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="folder to write the files into (created if missing)")
    parser.add_argument("--rows", type=int, required=True, help="total number of rows over all files")
    parser.add_argument("--files", type=int, default=1, help="number of files (default 1)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--sites", type=int, default=40, help="number of sites (default 40, at most 1000)")
    args = parser.parse_args(argv)
    if args.rows < 0 or args.files < 1 or not 1 <= args.sites <= 1000:
        parser.error("need --rows >= 0, --files >= 1 and 1 <= --sites <= 1000")

    started = time.monotonic()
    args.out.mkdir(parents=True, exist_ok=True)
    total_bytes = 0
    for index in range(args.files):
        # Spread the remainder over the first files so the counts add up to --rows exactly.
        rows = args.rows // args.files + (1 if index < args.rows % args.files else 0)
        path = args.out / f"readings-{index:03d}.parquet"
        write_atomically(readings_table(rows, args.sites, args.seed * 1000 + index), path)
        size = path.stat().st_size
        total_bytes += size
        print(f"wrote {path} ({rows} rows, {size} bytes)")
    seconds = time.monotonic() - started
    print(f"generated {args.rows} rows in {args.files} files ({total_bytes} bytes) under {args.out} in {seconds:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

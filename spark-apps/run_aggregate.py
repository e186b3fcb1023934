"""Entry point run by the broker's launchers:

    spark-submit --master local[N] [--conf k=v ...] spark-apps/run_aggregate.py --spec SPEC.json

The package is not installed: this script puts its own folder on sys.path so that
`sluice_spark` is importable wherever spark-submit runs it from.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sluice_spark.aggregate import main  # noqa: E402  (needs the sys.path entry above)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

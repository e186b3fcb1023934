"""Entry point of the embedded engine (DuckDB), run by the broker's local launcher:

    .venv/bin/python spark-apps/run_embedded.py --spec SPEC.json [--memory 8GB] [--temp-dir DIR] [--threads N]

Same run spec, input checks, exit codes, SLUICE_FAILURE line and committed run as
run_aggregate.py (see spark-apps/README.md). The packages are not installed: this script puts
its own folder on sys.path so that `sluice_spark` and `sluice_embedded` are importable.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sluice_embedded.main import main  # noqa: E402  (needs the sys.path entry above)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

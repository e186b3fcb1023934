"""The steps every engine's run shares, in their order (docs/adr/0004-spark-failure-contract.md):
return at once if the run is committed, check every input from its footer before any work,
let the engine do the work, and turn an understood failure into its failure line and exit code.

Shared by run_aggregate.py (Spark) and run_embedded.py (DuckDB), so that the broker cannot
tell from the log, the exit code or the lake which engine ran. No pyspark here.
"""

import sys
from collections.abc import Callable

from . import storage
from .checks import InputStats, check_inputs
from .failures import SluiceFailure, report_failure
from .manifest import is_committed
from .spec import RunSpec


def run_once(spec: RunSpec, work: Callable[[list[InputStats]], object]) -> int:
    """Run `work` on the checked inputs unless the run is already committed; the exit code."""
    log(spec, f"starting pipeline={spec.pipeline} request={spec.request_id or '-'} inputs={len(spec.inputs)}")
    if is_committed(storage.locate(spec.run_uri)):
        # A relaunch after the commit (the broker lost the exit code) must not rewrite an
        # immutable run; by now the inputs may even have been archived.
        log(spec, f"already committed: {spec.run_uri}")
        return 0
    try:
        # Checked before the engine starts: a bad landing fails in a second, not after the
        # engine is up, and without the engine's own (less precise) error.
        inputs = check_inputs(spec.inputs, spec.expected_columns)
        log(spec, f"checked {len(inputs)} inputs, {sum(stats.rows for stats in inputs)} rows")
        work(inputs)
    except SluiceFailure as failure:
        log(spec, f"failed ({failure.failure_class}): {failure.message}")
        report_failure(failure, trace_id=spec.trace_id)
        return failure.exit_code
    return 0


def log(spec: RunSpec, message: str) -> None:
    """One line of the driver log, naming the job, the attempt and (when the spec has one) the
    trace id, so that a job can be followed from the broker's log into the engine's."""
    trace = f" trace={spec.trace_id}" if spec.trace_id else ""
    print(f"sluice: job={spec.job_id} attempt={spec.attempt}{trace} {message}", file=sys.stderr, flush=True)

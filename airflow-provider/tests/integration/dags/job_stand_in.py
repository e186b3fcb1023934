"""DAGs of the provider's own integration tests (test_example_job_dag.py), run against the
stand-in Sluice (pipeline `stand-in`, whose parameters steer the run)."""

from __future__ import annotations

from datetime import datetime, timezone

from airflow.sdk import DAG
from sluice_provider.operators.job import SluiceSubmitJobOperator

_START = datetime(2026, 1, 1, tzinfo=timezone.utc)
# The stand-in pipeline declares no default input paths; the stand-in app reads none.
_INPUTS = ["none.parquet"]

with DAG(dag_id="job_stand_in_fails", schedule=None, start_date=_START, catchup=False, tags=["sluice-tests"]):
    # exit 65: the run reports a data failure ("stand-in failure") and exits non-zero.
    SluiceSubmitJobOperator(
        task_id="fails",
        pipeline="stand-in",
        params={"exit": 65},
        inputs=_INPUTS,
        poll_interval=1,
    )

with DAG(
    dag_id="job_stand_in_in_worker",
    schedule=None,
    start_date=_START,
    catchup=False,
    tags=["sluice-tests"],
    # A template renders to text; native rendering keeps a number a number ("rows" is one).
    render_template_as_native_obj=True,
):
    # Waits in the worker (deferrable=False); the job's parameters are rendered from templates.
    SluiceSubmitJobOperator(
        task_id="rows",
        pipeline="stand-in",
        params={"rows": "{{ 3 + 4 }}"},
        inputs=_INPUTS,
        labels={"run": "{{ run_id }}"},
        deferrable=False,
        poll_interval=1,
    )

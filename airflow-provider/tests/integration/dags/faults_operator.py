"""DAGs of test_operator_faults.py: SluiceSubmitJobOperator against a Sluice that says no,
goes away for a while, or outlives the worker that submitted its job; jobs that fail or are
cancelled in Sluice; a task that outlives its execution_timeout while deferred; a request that
changes between a task instance's tries.

Every DAG retries its tasks twice, a second apart: a failure that should not be retried shows
up as try 1, one that is retried as try 3 within seconds (Airflow's default delay is 5 min).
Each task labels its job with a `case`, so a test counts that case's jobs in Sluice.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import DAG
from sluice_provider.operators.job import SluiceSubmitJobOperator

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
RETRIES = {"retries": 2, "retry_delay": timedelta(seconds=1)}
# The stand-in pipeline reads no input; Sluice only needs the request to name one.
INPUTS = ["stand-in/part-0.parquet"]

with DAG("faults_bad_key", schedule=None, start_date=START, catchup=False, default_args=RETRIES):
    SluiceSubmitJobOperator(
        task_id="submit",
        pipeline="stand-in",
        inputs=INPUTS,
        labels={"case": "bad-key"},
        sluice_conn_id="sluice_badkey",
    )

with DAG("faults_bad_request", schedule=None, start_date=START, catchup=False, default_args=RETRIES):
    SluiceSubmitJobOperator(task_id="unknown_pipeline", pipeline="no-such-pipeline", inputs=INPUTS)
    SluiceSubmitJobOperator(task_id="wrong_type", pipeline="stand-in", params={"seconds": "soon"}, inputs=INPUTS)
    SluiceSubmitJobOperator(task_id="unknown_parameter", pipeline="stand-in", params={"sleep": 1}, inputs=INPUTS)

with DAG("faults_unreachable", schedule=None, start_date=START, catchup=False, default_args=RETRIES):
    # Production defaults: deferrable, poll_interval 10 s, no timeout.
    SluiceSubmitJobOperator(
        task_id="submit",
        pipeline="stand-in",
        params={"seconds": 8, "rows": 3},
        inputs=INPUTS,
        labels={"case": "unreachable"},
    )

with DAG("faults_worker_died", schedule=None, start_date=START, catchup=False, default_args=RETRIES):
    # Waits in the worker, so that killing the worker process interrupts the wait.
    SluiceSubmitJobOperator(
        task_id="submit",
        pipeline="stand-in",
        params={"seconds": 6, "rows": 2},
        inputs=INPUTS,
        labels={"case": "worker-died"},
        deferrable=False,
    )

with DAG(
    "faults_job_failed",
    schedule=None,
    start_date=START,
    catchup=False,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=1)},
):
    # Exit code 65 is the Spark app's "data" failure, which neither Sluice nor Airflow retries.
    SluiceSubmitJobOperator(
        task_id="submit",
        pipeline="stand-in",
        params={"exit": 65},
        inputs=INPUTS,
        labels={"case": "job-failed"},
    )

with DAG(
    "faults_platform_failed",
    schedule=None,
    start_date=START,
    catchup=False,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=1)},
):
    # Any other exit code is a "platform" failure: Sluice retries it (its attempts), then Airflow.
    SluiceSubmitJobOperator(
        task_id="submit",
        pipeline="stand-in",
        params={"exit": 3},
        inputs=INPUTS,
        labels={"case": "platform-failed"},
    )

with DAG("faults_cancelled_in_sluice", schedule=None, start_date=START, catchup=False, default_args=RETRIES):
    # Long enough that only the test's cancel (on-call, from Sluice's dashboard) ends it in time.
    SluiceSubmitJobOperator(
        task_id="submit",
        pipeline="stand-in",
        params={"seconds": 60},
        inputs=INPUTS,
        labels={"case": "cancelled-in-sluice"},
    )

with DAG("faults_execution_timeout", schedule=None, start_date=START, catchup=False):
    # Deferred (the default) with no `timeout`: only execution_timeout bounds the wait.
    SluiceSubmitJobOperator(
        task_id="submit",
        pipeline="stand-in",
        params={"seconds": 60},
        inputs=INPUTS,
        labels={"case": "execution-timeout"},
        execution_timeout=timedelta(seconds=8),
    )

with DAG("faults_changed_request", schedule=None, start_date=START, catchup=False, render_template_as_native_obj=True):
    # A parameter from a Variable: a DAG author changes it, then clears the task.
    SluiceSubmitJobOperator(
        task_id="submit",
        pipeline="stand-in",
        params={"rows": "{{ var.value.sluice_test_rows | int }}"},
        inputs=INPUTS,
        labels={"case": "changed-request"},
    )

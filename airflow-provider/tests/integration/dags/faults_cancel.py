"""DAGs of test_cancel_on_kill.py: a long Sluice job whose task is killed while it waits,
deferred in the triggerer or polling in the worker."""

from __future__ import annotations

from datetime import datetime, timezone

from airflow.sdk import DAG
from sluice_provider.operators.job import SluiceSubmitJobOperator

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
INPUTS = ["stand-in/part-0.parquet"]
# Long enough that only a cancel ends it within the test.
LONG = {"seconds": 120}

with DAG("faults_cancel_deferred", schedule=None, start_date=START, catchup=False):
    SluiceSubmitJobOperator(
        task_id="submit", pipeline="stand-in", params=LONG, inputs=INPUTS, labels={"case": "cancel-deferred"}
    )

with DAG("faults_cancel_worker", schedule=None, start_date=START, catchup=False):
    SluiceSubmitJobOperator(
        task_id="submit",
        pipeline="stand-in",
        params=LONG,
        inputs=INPUTS,
        labels={"case": "cancel-worker"},
        deferrable=False,
    )

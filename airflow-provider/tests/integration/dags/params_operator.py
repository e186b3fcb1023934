"""DAGs of test_operator_parameters.py: how a job's parameters reach Sluice from mapped tasks."""

from __future__ import annotations

from datetime import datetime, timezone

from airflow.sdk import DAG, Param
from sluice_provider.operators.job import SluiceSubmitJobOperator

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
INPUTS = ["stand-in/part-0.parquet"]

with DAG("params_mapped", schedule=None, start_date=START, catchup=False, params={"rows": Param(1, type="integer")}):
    # The DAG has a param of the name the mapped tasks set: each job must still get its own value.
    SluiceSubmitJobOperator.partial(
        task_id="by_params", pipeline="stand-in", inputs=INPUTS, labels={"case": "mapped-params"}
    ).expand(params=[{"rows": 2}, {"rows": 3}])
    SluiceSubmitJobOperator.partial(
        task_id="by_parameters", pipeline="stand-in", inputs=INPUTS, labels={"case": "mapped-parameters"}
    ).expand(parameters=[{"rows": 4}, {"rows": 5}])

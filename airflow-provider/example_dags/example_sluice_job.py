"""Run a Sluice pipeline from a DAG and use what it produced.

``meter_by_status`` asks Sluice to run the ``meter-by-status`` pipeline for one site. While
Spark works the task is deferred (it holds no worker slot); when the job ends the task pushes
the job's numbers to XCom and records an asset event on the lake table it wrote.
``report`` then reads those XComs.

Needs an Airflow connection ``sluice_default`` of type ``sluice``: host = Sluice's base URL,
password = an API key, e.g.
    AIRFLOW_CONN_SLUICE_DEFAULT='{"conn_type": "sluice", "host": "https://sluice.internal:8080", "password": "..."}'
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import DAG, task

from sluice_provider.assets import lake_table_asset
from sluice_provider.operators.job import SluiceSubmitJobOperator

with DAG(
    dag_id="example_sluice_job",
    description="Readings and kWh per status for one site, computed by Sluice on Spark",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    tags=["example", "sluice"],
) as dag:
    meter_by_status = SluiceSubmitJobOperator(
        task_id="meter_by_status",
        pipeline="meter-by-status",
        # The job's parameters (the pipeline declares `site`); values may be templates.
        parameters={"site": "site-007"},
        labels={"requested_by": "{{ dag.dag_id }}"},
        outlets=[lake_table_asset("meter_by_status")],
        poll_interval=5,
        timeout=timedelta(minutes=30),
    )

    @task
    def report(rows_in: int, rows_out: int, lake_path: str) -> str:
        summary = f"meter-by-status read {rows_in} readings and wrote {rows_out} rows to {lake_path}"
        print(summary)
        return summary

    report(
        rows_in=meter_by_status.output["rows_in"],
        rows_out=meter_by_status.output["rows_out"],
        lake_path=meter_by_status.output["lake_path"],
    )

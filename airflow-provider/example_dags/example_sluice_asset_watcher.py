"""Run a DAG each time Sluice finishes a job, whoever started it.

Sluice runs ``meter-daily`` on its own when meter readings land (or when anyone submits it).
The lake table it writes, ``meter_daily``, is an Airflow asset here with an ``AssetWatcher``:
the triggerer follows Sluice's event stream and records one asset event per ``meter-daily`` job
that succeeds. This DAG is scheduled on that asset, so it runs after each of them; its task
reads the triggering asset events, whose ``extra["payload"]`` names the Sluice job.

Payload of each asset event (``extra["payload"]``):
    kind "job", event_id, event_type "job.succeeded", pipeline, job_id, state, attempt, time,
    trace_id, reason

The watcher runs only while this DAG is unpaused. A triggerer restart neither misses nor repeats
an event: the trigger saves the last event delivered (Airflow Variable
``sluice_events_cursor.meter-daily.<digest>``) and resumes after it.

Needs an Airflow connection ``sluice_default`` of type ``sluice`` (host = Sluice's base URL,
password = an API key), readable by the triggerer.
"""

from __future__ import annotations

from datetime import datetime, timezone

from airflow.sdk import DAG, AssetWatcher, task

from sluice_provider.assets import lake_table_asset
from sluice_provider.triggers.events import SluiceJobEventTrigger

meter_daily = lake_table_asset(
    "meter_daily",
    watchers=[
        AssetWatcher(
            name="sluice_meter_daily_succeeded",
            # One asset event per succeeded job of the pipeline. Other options:
            #   job_states=["succeeded", "failed"]  also the failed jobs
            #   landing_batches=True                 also one event per batch of landed files
            #   start_from="earliest"                the first start replays what Sluice still keeps
            trigger=SluiceJobEventTrigger(pipeline="meter-daily", sluice_conn_id="sluice_default"),
        )
    ],
)

with DAG(
    dag_id="example_sluice_asset_watcher",
    description="Reacts to each meter-daily job Sluice finishes",
    schedule=[meter_daily],
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    tags=["example", "sluice"],
):

    @task
    def report_new_aggregates(triggering_asset_events=None) -> list[str]:
        # One run may consume several asset events (jobs that finished close together).
        job_ids = []
        for event in triggering_asset_events[meter_daily]:
            job = event.extra["payload"]
            print(
                f"Sluice job {job['job_id']} of {job['pipeline']} {job['state']} at {job['time']} "
                f"(trace {job['trace_id']}): {job['reason']}"
            )
            job_ids.append(job["job_id"])
        return job_ids

    report_new_aggregates()

"""DAGs of test_asset_watcher.py: two assets that SluiceJobEventTrigger watches on the stand-in
pipeline (its succeeded jobs; its failed jobs), each scheduling a DAG of one EmptyOperator,
which the scheduler marks done itself (no worker, no API server needed)."""

from __future__ import annotations

from datetime import datetime, timezone

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Asset, AssetWatcher
from sluice_provider.triggers.events import SluiceJobEventTrigger

# test_asset_watcher.py builds the same triggers to find their cursors: keep both in step.
SUCCEEDED_ARGS = {"pipeline": "stand-in"}
FAILED_ARGS = {"pipeline": "stand-in", "job_states": ["failed"]}

succeeded_jobs = Asset(
    name="events_stand_in_succeeded",
    watchers=[AssetWatcher(name="events_stand_in_succeeded", trigger=SluiceJobEventTrigger(**SUCCEEDED_ARGS))],
)
failed_jobs = Asset(
    name="events_stand_in_failed",
    watchers=[AssetWatcher(name="events_stand_in_failed", trigger=SluiceJobEventTrigger(**FAILED_ARGS))],
)

for dag_id, asset in (("events_on_succeeded_jobs", succeeded_jobs), ("events_on_failed_jobs", failed_jobs)):
    with DAG(
        dag_id=dag_id,
        schedule=[asset],
        start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
        catchup=False,
        tags=["sluice-provider-tests"],
    ):
        EmptyOperator(task_id="noted")

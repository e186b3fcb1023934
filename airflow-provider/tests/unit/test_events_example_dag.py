"""example_dags/example_sluice_asset_watcher.py: it parses, its asset is watched by
SluiceJobEventTrigger(pipeline="meter-daily"), and its task reads the job ids from the
triggering asset events' payloads as the trigger writes them."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from airflow.dag_processing.dagbag import DagBag

from sluice_provider.hooks.events import SluiceEvent
from sluice_provider.triggers.events import EventSelection, FollowedEvent, SluiceJobEventTrigger

EXAMPLE = Path(__file__).resolve().parents[2] / "example_dags" / "example_sluice_asset_watcher.py"


@pytest.fixture(scope="module")
def example_dag():
    bag = DagBag(dag_folder=str(EXAMPLE))
    assert bag.import_errors == {}
    return bag.dags["example_sluice_asset_watcher"]


def asset_of(dag):
    # The module's asset object, as the DAG's task sees it.
    return dag.get_task("report_new_aggregates").python_callable.__globals__["meter_daily"]


def test_the_example_parses_and_is_scheduled_on_its_watched_asset(example_dag):
    asset = asset_of(example_dag)
    assert list(example_dag.timetable.asset_condition.objects) == [asset]


def test_its_asset_is_watched_for_succeeded_meter_daily_jobs(example_dag):
    (watcher,) = asset_of(example_dag).watchers
    assert isinstance(watcher.trigger, SluiceJobEventTrigger)
    assert watcher.trigger.serialize()[1] == EventSelection.create(pipeline="meter-daily").kwargs()


def test_its_task_reads_the_job_ids_of_the_triggering_events(example_dag, capsys):
    selection = EventSelection.create(pipeline="meter-daily")
    payloads = [
        selection.payload_of(
            FollowedEvent(
                SluiceEvent(
                    id=f"{n}-0",
                    type="job.succeeded",
                    data={
                        "state": "succeeded",
                        "pipeline": "meter-daily",
                        "jobId": f"j{n}",
                        "time": "2026-12-01T05:55:45.146Z",
                        "traceId": f"t{n}",
                        "reason": "committed 24 rows",
                    },
                )
            )
        )
        for n in (1, 2)
    ]
    # What Airflow hands the task: the asset's events, each with extra {"from_trigger", "payload"}.
    asset = asset_of(example_dag)
    events = {asset: [SimpleNamespace(extra={"from_trigger": True, "payload": payload}) for payload in payloads]}
    task = example_dag.get_task("report_new_aggregates")
    assert task.python_callable(triggering_asset_events=events) == ["j1", "j2"]
    assert "Sluice job j1 of meter-daily succeeded at 2026-12-01T05:55:45.146Z (trace t1)" in capsys.readouterr().out

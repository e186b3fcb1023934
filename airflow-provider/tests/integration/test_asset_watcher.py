"""SluiceJobEventTrigger in real Airflow: a real `airflow triggerer` follows a real Sluice and
records asset events; a real `airflow scheduler` runs the DAGs scheduled on them.

The DAGs are tests/integration/dags/events_stand_in_watchers.py: asset `events_stand_in_succeeded`
(the stand-in pipeline's succeeded jobs) and `events_stand_in_failed` (its failed jobs), each
scheduling a DAG. They get into the metadata DB as a user's would: parsed (`airflow dags
reserialize`), unpaused, and parsed again, since Airflow registers an asset's watchers only while
a DAG scheduled on the asset is unpaused.

Asset events are read from the metadata DB through Airflow's ORM, as the scheduler reads them.
"""

from __future__ import annotations

import configparser
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography.fernet import Fernet
from sluice_provider.hooks.events import event_id_key
from sluice_provider.triggers.events import Cursor, EventSelection

from airflow_processes import (
    AirflowProcess,
    run_airflow,
    start_scheduler,
    start_triggerer,
    stop,
    stop_all,
    wait_ready,
)
from sluice_harness import SluiceJobs, wait_for

T = TypeVar("T")

SUCCEEDED_ASSET = "events_stand_in_succeeded"
FAILED_ASSET = "events_stand_in_failed"
SUCCEEDED_DAG = "events_on_succeeded_jobs"
# The triggers of events_stand_in_watchers.py (SUCCEEDED_ARGS, FAILED_ARGS), for their cursors.
SUCCEEDED_SELECTION = EventSelection.create(pipeline="stand-in")
FAILED_SELECTION = EventSelection.create(pipeline="stand-in", job_states=["failed"])


def submit_stand_in(jobs: SluiceJobs, *, fail: bool = False) -> str:
    # An input named "corrupt" fails the stand-in run with class data: no retries, a quick failure.
    job = jobs.submit("stand-in", {}, ["corrupt.parquet"] if fail else ["none.parquet"])
    return job["id"]


# --- Airflow's metadata DB --------------------------------------------------------------------


def asset_event_payloads(asset_name: str) -> list[dict[str, Any]]:
    """The payloads (extra["payload"]) of the asset's events, oldest first."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        extras = session.scalars(
            select(AssetEvent.extra)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetModel.name == asset_name)
            .order_by(AssetEvent.id)
        ).all()
    return [extra["payload"] for extra in extras]


def job_ids_of(asset_name: str) -> list[str]:
    return [payload["job_id"] for payload in asset_event_payloads(asset_name)]


def saved_cursor(selection: EventSelection) -> Cursor | None:
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        row = session.execute(
            select(Variable._val, Variable.is_encrypted).where(Variable.key == selection.cursor_variable())
        ).one_or_none()
    if row is None:
        return None
    value, encrypted = row
    return Cursor.from_json(_home_fernet().decrypt(value.encode()).decode() if encrypted else value)


def _home_fernet() -> Fernet:
    # The daemons encrypt with the key `airflow db migrate` wrote into the session's airflow.cfg;
    # this process loaded its configuration before that file existed, so it reads the key itself.
    key = os.environ.get("AIRFLOW__CORE__FERNET_KEY", "")
    if not key:
        config = configparser.ConfigParser(interpolation=None)
        config.read(Path(os.environ["AIRFLOW_HOME"]) / "airflow.cfg")
        key = config.get("core", "fernet_key", fallback="")
    return Fernet(key.encode())


def consumed_event_job_ids(dag_id: str) -> list[str]:
    """Job ids of the asset events consumed by the DAG's runs (one entry per consumption)."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        runs = session.scalars(select(DagRun).where(DagRun.dag_id == dag_id)).all()
        return [event.extra["payload"]["job_id"] for run in runs for event in run.consumed_asset_events]


def watched_asset_names() -> set[str]:
    from airflow.models.asset import AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        assets = session.scalars(select(AssetModel).where(AssetModel.name.in_([SUCCEEDED_ASSET, FAILED_ASSET]))).all()
        return {asset.name for asset in assets if asset.triggers}


def caught_up(selection: EventSelection, asset_name: str) -> bool:
    """The cursor has passed the last asset event's Sluice event: nothing of it is in flight."""
    payloads = asset_event_payloads(asset_name)
    cursor = saved_cursor(selection)
    if cursor is None:
        return False
    return not payloads or event_id_key(cursor.last_event_id) >= event_id_key(payloads[-1]["event_id"])


# --- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stand_in(sluice) -> Iterator[SluiceJobs]:
    client = SluiceJobs(sluice.url, sluice.api_key)
    yield client
    client.close()


@pytest.fixture(scope="module")
def daemons(sluice) -> Iterator[dict[str, AirflowProcess]]:
    """A scheduler and a triggerer, the events_ DAGs registered and unpaused, and both watchers
    following Sluice (their cursors saved). A test may replace the triggerer (the dict is shared);
    all are stopped at the end."""
    running: dict[str, AirflowProcess] = {}
    try:
        # Started first: they come up while the DAGs are registered.
        running["scheduler"] = start_scheduler(wait=False)
        running["triggerer"] = start_triggerer(wait=False)
        register_watched_dags()
        for process in running.values():
            wait_ready(process)
        wait_for_followers(running["triggerer"])
        yield running
    finally:
        unregister_watched_dags()
        stop_all(running.values())


def register_watched_dags() -> None:
    """As a user would: parse the DAGs, unpause ours, and parse again, since Airflow registers
    an asset's watchers (and so their triggers) only while a DAG scheduled on it is unpaused."""
    run_airflow("dags", "reserialize")
    run_airflow("dags", "unpause", "--treat-dag-id-as-regex", "--yes", "^events_on_")
    run_airflow("dags", "reserialize")
    assert watched_asset_names() == {SUCCEEDED_ASSET, FAILED_ASSET}


def unregister_watched_dags() -> None:
    """Pauses our DAGs and drops their assets' watchers, so that no later test's triggerer
    follows this module's Sluice (their triggers, now unused, are deleted by the next triggerer)."""
    from airflow.models.asset import AssetModel, AssetWatcherModel
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session
    from sqlalchemy import delete, select, update

    with create_session() as session:
        session.execute(update(DagModel).where(DagModel.dag_id.like("events_on_%")).values(is_paused=True))
        asset_ids = select(AssetModel.id).where(AssetModel.name.in_([SUCCEEDED_ASSET, FAILED_ASSET]))
        session.execute(delete(AssetWatcherModel).where(AssetWatcherModel.asset_id.in_(asset_ids)))


def wait_for_followers(triggerer: AirflowProcess, timeout: float = 60) -> None:
    # Each trigger saves its starting point before it reads its first event.
    wait_for(
        "both watchers to save their cursors",
        lambda: saved_cursor(SUCCEEDED_SELECTION) and saved_cursor(FAILED_SELECTION),
        timeout,
        logs=lambda: f"triggerer log:\n{triggerer.log_tail()}",
    )


# --- Tests ------------------------------------------------------------------------------------


@pytest.mark.timeout(150)
def test_each_succeeded_job_makes_one_asset_event_and_the_scheduler_runs_the_dag(stand_in, daemons):
    job_ids = [submit_stand_in(stand_in) for _ in range(3)]
    jobs = stand_in.wait_ended(job_ids)
    assert {job["state"] for job in jobs.values()} == {"succeeded"}

    wait_for(
        "an asset event per succeeded job",
        lambda: set(job_ids) <= set(job_ids_of(SUCCEEDED_ASSET)),
        timeout=30,
    )
    wait_for("the cursor to pass the last asset event", lambda: caught_up(SUCCEEDED_SELECTION, SUCCEEDED_ASSET), 15)

    payloads = {payload["job_id"]: payload for payload in asset_event_payloads(SUCCEEDED_ASSET)}
    assert Counter(job_ids_of(SUCCEEDED_ASSET)) == Counter(job_ids), "exactly one asset event per job"
    for job_id, job in jobs.items():
        payload = payloads[job_id]
        assert payload["kind"] == "job"
        assert payload["event_type"] == "job.succeeded"
        assert payload["pipeline"] == "stand-in"
        assert payload["state"] == "succeeded"
        assert payload["trace_id"] == job["traceId"]
        event_id_key(payload["event_id"])
    assert job_ids_of(FAILED_ASSET) == []

    # The scheduler runs the DAG scheduled on the asset. A run consumes the events recorded up to
    # the one that queued it; events recorded while it was being created wait for the next run.
    consumed = wait_for(f"a run of {SUCCEEDED_DAG}", lambda: consumed_event_job_ids(SUCCEEDED_DAG) or None, timeout=30)
    assert set(consumed) <= set(job_ids)
    assert len(consumed) == len(set(consumed)), "no asset event consumed twice"


@pytest.mark.timeout(90)
def test_a_failed_job_makes_no_asset_event_for_the_succeeded_jobs_watcher(stand_in, daemons):
    failed = submit_stand_in(stand_in, fail=True)
    assert stand_in.wait_ended([failed])[failed]["state"] == "failed"
    # A succeeded job after it: once its event is in, an event for the failed job would be too.
    after = submit_stand_in(stand_in)
    assert stand_in.wait_ended([after])[after]["state"] == "succeeded"

    wait_for("the later job's asset event", lambda: after in job_ids_of(SUCCEEDED_ASSET), timeout=30)
    # The watcher of failed jobs, following the same events, did see it: once.
    wait_for("the failed job's event on the failed-jobs asset", lambda: failed in job_ids_of(FAILED_ASSET), 30)
    assert failed not in job_ids_of(SUCCEEDED_ASSET)
    assert job_ids_of(FAILED_ASSET) == [failed]
    assert asset_event_payloads(FAILED_ASSET)[0]["state"] == "failed"


@pytest.mark.timeout(120)
def test_a_sluice_restart_does_not_end_the_follow(sluice, stand_in, daemons):
    triggerer = daemons["triggerer"]
    log_start = len(triggerer.log_text())
    job_id = submit_stand_in(stand_in)
    sluice.stop()  # its run goes on; Sluice records the outcome once it is back
    time.sleep(6)  # a few refused reconnections
    sluice.start()
    assert stand_in.wait_ended([job_id])[job_id]["state"] == "succeeded"

    wait_for("the job's asset event after Sluice came back", lambda: job_id in job_ids_of(SUCCEEDED_ASSET), 45)
    assert job_ids_of(SUCCEEDED_ASSET).count(job_id) == 1
    log = triggerer.log_text()[log_start:]
    assert "Sluice event stream interrupted" in log, log[-3000:]
    assert "exited with error" not in log and "Trigger failed" not in log, log[-3000:]


@pytest.mark.timeout(150)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_a_triggerer_restart_neither_misses_nor_repeats_an_event(stand_in, daemons, sig):
    # Idle when stopped: every event so far stored and its cursor saved.
    wait_for("the cursor to pass the last asset event", lambda: caught_up(SUCCEEDED_SELECTION, SUCCEEDED_ASSET), 30)
    before = job_ids_of(SUCCEEDED_ASSET)

    stop(daemons.pop("triggerer"), sig)
    while_down = [submit_stand_in(stand_in) for _ in range(2)]
    assert {job["state"] for job in stand_in.wait_ended(while_down).values()} == {"succeeded"}
    assert job_ids_of(SUCCEEDED_ASSET) == before, "no asset event while no triggerer runs"

    # After a SIGKILL the dead triggerer's heartbeat must grow stale (triggerer_health_check_threshold,
    # 30 s) before another triggerer takes its triggers over.
    daemons["triggerer"] = start_triggerer()
    after_jobs = [submit_stand_in(stand_in)]
    stand_in.wait_ended(after_jobs)
    wait_for(
        "asset events for the jobs that succeeded while the triggerer was down, and after",
        lambda: set(while_down + after_jobs) <= set(job_ids_of(SUCCEEDED_ASSET)),
        timeout=90,
    )
    wait_for("the cursor to pass the last asset event", lambda: caught_up(SUCCEEDED_SELECTION, SUCCEEDED_ASSET), 15)

    delivered = job_ids_of(SUCCEEDED_ASSET)
    assert delivered[: len(before)] == before
    assert Counter(delivered[len(before) :]) == Counter(while_down + after_jobs), "each job exactly once"

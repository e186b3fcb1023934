"""The operator in real Airflow (dag.test(): the deferred trigger runs inline) against a real Sluice.

- The example DAG (example_dags/example_sluice_job.py) on real Spark: the run succeeds, the
  XComs hold the job's numbers, the lake path is a committed run on disk, the outlet's asset
  event says what the job wrote, and Sluice ran exactly one job.
- With the stand-in app: a job that fails makes the task fail with Sluice's failure class and
  reason, and the driver log tail, in the task log; a job followed from the worker
  (deferrable=False) with templated parameters succeeds.

dag.test() does not raise when a task fails: the tests read the run's and the tasks' states.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.models.asset import AssetEvent, AssetModel
from airflow.models.dagrun import DagRun
from airflow.models.xcom import XComModel
from airflow.utils.session import create_session
from sluice_provider.hooks.sluice import SluiceHook
from sqlalchemy import select

from sluice_harness import SluiceStack

PROVIDER = Path(__file__).resolve().parents[2]
EXAMPLE = PROVIDER / "example_dags" / "example_sluice_job.py"
STAND_IN_DAGS = Path(__file__).resolve().parent / "dags" / "job_stand_in.py"


def load(path: Path, dag_id: str):
    bag = DagBag(dag_folder=str(path))
    assert bag.import_errors == {}
    return bag.dags[dag_id]


def use(stack: SluiceStack, monkeypatch: pytest.MonkeyPatch) -> None:
    # Both Sluices of this module answer as sluice_default; each test says which one it means.
    for key, value in stack.connection_uri_env().items():
        monkeypatch.setenv(key, value)


def task_states(run: DagRun) -> dict[str, str | None]:
    return {ti.task_id: ti.state for ti in run.get_task_instances()}


def xcom(run: DagRun, task_id: str, key: str) -> Any:
    with create_session() as session:
        row = session.scalars(
            XComModel.get_many(run_id=run.run_id, key=key, task_ids=task_id, dag_ids=run.dag_id)
        ).first()
        return None if row is None else XComModel.deserialize_value(row)


@pytest.mark.timeout(150)
def test_a_failed_job_fails_the_task_with_its_class_reason_and_log_tail(
    sluice: SluiceStack, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture
) -> None:
    use(sluice, monkeypatch)
    run = load(STAND_IN_DAGS, "job_stand_in_fails").test()
    log = "".join(capfd.readouterr())

    assert run.state == "failed"
    assert task_states(run) == {"fails": "failed"}
    job_id = xcom(run, "fails", "job_id")
    assert job_id
    assert xcom(run, "fails", "state") == "failed"
    # What the task log says (dag.test() writes it to the console).
    assert f"Sluice job {job_id} failed (data): stand-in failure" in log
    assert f"Driver log tail of Sluice job {job_id}:" in log
    assert 'SLUICE_FAILURE {"class": "data", "message": "stand-in failure"}' in log
    assert sluice.api_key not in log


@pytest.mark.timeout(150)
def test_a_job_followed_from_the_worker_with_templated_parameters(
    sluice: SluiceStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(sluice, monkeypatch)
    run = load(STAND_IN_DAGS, "job_stand_in_in_worker").test()

    assert run.state == "success", task_states(run)
    assert xcom(run, "rows", "rows_out") == 7
    job = SluiceHook().get_job(xcom(run, "rows", "job_id"))
    assert job["state"] == "succeeded"
    assert job["parameters"]["rows"] == 7
    assert job["labels"] == {"run": run.run_id}


@pytest.mark.timeout(240)
def test_the_example_dag_runs_a_spark_job_and_hands_on_its_results(
    sluice_real: SluiceStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(sluice_real, monkeypatch)
    run = load(EXAMPLE, "example_sluice_job").test()

    assert run.state == "success", task_states(run)
    assert task_states(run) == {"meter_by_status": "success", "report": "success"}

    rows_in, rows_out = xcom(run, "meter_by_status", "rows_in"), xcom(run, "meter_by_status", "rows_out")
    assert rows_in > 0
    assert rows_out > 0
    lake_path = xcom(run, "meter_by_status", "lake_path")
    run_dir = Path(urlsplit(lake_path).path)
    assert run_dir.is_dir()
    assert (run_dir / "_manifest.json").is_file()
    assert os.path.realpath(run_dir).startswith(os.path.realpath(sluice_real.lake_dir) + os.sep)
    assert xcom(run, "meter_by_status", "sql_loads") == []
    summary = xcom(run, "report", "return_value")
    assert summary == f"meter-by-status read {rows_in} readings and wrote {rows_out} rows to {lake_path}"

    jobs = SluiceHook().list_jobs()
    assert [(job["pipeline"], job["state"]) for job in jobs] == [("meter-by-status", "succeeded")]
    job_id = jobs[0]["id"]
    assert job_id == xcom(run, "meter_by_status", "job_id")
    assert jobs[0]["parameters"] == {"site": "site-007"}

    # The extra links as Airflow stored them for the UI.
    assert xcom(run, "meter_by_status", "_link_SluiceJobLink") == f"{sluice_real.url}/ui/jobs/{job_id}"
    assert xcom(run, "meter_by_status", "_link_SparkUiLink") == ((jobs[0].get("run") or {}).get("uiUrl") or "")

    with create_session() as session:
        events = session.scalars(
            select(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .where(AssetModel.uri == "sluice://lake/meter_by_status", AssetEvent.source_run_id == run.run_id)
        ).all()
        extras = [event.extra for event in events]
    assert extras == [
        {"sluice_job_id": job_id, "pipeline": "meter-by-status", "rows_out": rows_out, "run_uri": lake_path}
    ]

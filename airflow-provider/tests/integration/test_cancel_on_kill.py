"""A killed task cancels its Sluice job, in a real Airflow against a real Sluice (stand-in runs).

- Deferred: the task waits in a real `airflow triggerer`; a user marks it failed (the UI's
  PATCH of the task instance); the triggerer calls the trigger's on_kill, which cancels the job.
- Polling in its worker (deferrable=False): the worker gets SIGTERM, as Airflow's supervisor
  sends it to a task marked failed; the Task SDK calls the operator's on_kill, which cancels it.

The DAGs are in dags/faults_cancel.py; their jobs run 120 s unless cancelled.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from airflow.configuration import conf

from airflow_processes import start_triggerer, stop
from airflow_tasks import (
    DagRunProcess,
    TaskInstanceView,
    load_dag,
    mark_failed,
    new_run_after,
    run_dag,
    xcom,
)
from sluice_harness import SluiceJobs, wait_for

DAGS = "faults_cancel.py"


@pytest.fixture(scope="module")
def jobs(sluice) -> Iterator[SluiceJobs]:
    client = SluiceJobs(sluice.url, sluice.api_key)
    yield client
    client.close()


def trigger_log(dag_id: str, run_id: str, task_id: str, try_number: int) -> str:
    """What the triggerer logged for the trigger of one try (the file the UI shows with the task log)."""
    folder = (
        Path(conf.get("logging", "base_log_folder")) / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}"
    )
    return "".join(path.read_text() for path in sorted(folder.glob(f"attempt={try_number}.log.trigger.*.log")))


@pytest.mark.timeout(180)
def test_marking_a_deferred_task_failed_cancels_its_job(sluice, jobs):
    dag_id = "faults_cancel_deferred"
    # Started now, it gets ready while dag.test() sets the run up.
    triggerer = start_triggerer(wait=False)
    seen: dict[str, object] = {}

    def kill_while_deferred(run_id: str) -> None:
        job_id = wait_for("the job id in XCom", lambda: xcom(dag_id, run_id, "submit", "job_id"), 90)
        jobs.wait(job_id, {"running"}, 60)
        # The triggerer, not dag.test(), is following the job: its trigger logged a look at it.
        wait_for(
            "the triggerer to poll the job",
            lambda: f"Sluice job {job_id} is running" in trigger_log(dag_id, run_id, "submit", 1),
            90,
        )
        deferred = TaskInstanceView.read(dag_id, run_id, "submit")
        assert deferred is not None and deferred.state == "deferred"
        seen["marked"] = mark_failed(dag_id, run_id, "submit")
        seen["job"] = jobs.wait(job_id, {"cancelled"}, 60)

    try:
        run = run_dag(load_dag(DAGS, dag_id), inline_triggers=False, during=kill_while_deferred)
        log = trigger_log(dag_id, run.run_id, "submit", 1)
    finally:
        stop(triggerer)

    assert run.state == "failed"
    assert run.ti("submit").state == "failed"
    assert seen["marked"]["task_instances"][0]["state"] == "failed"  # type: ignore[index]
    job = seen["job"]
    assert isinstance(job, dict) and job["state"] == "cancelled"
    (same,) = jobs.labelled("stand-in", "cancel-deferred")
    assert same["id"] == job["id"]
    assert "Trigger cancelled by user action, invoking on_kill" in log
    assert f"The task was killed; asking Sluice to cancel job {job['id']}" in log
    assert "on_kill() raised" not in log and "on_kill() timed out" not in log


@pytest.mark.timeout(150)
def test_sigterm_to_a_polling_worker_cancels_its_job(sluice, jobs, tmp_path):
    dag_id = "faults_cancel_worker"
    worker = DagRunProcess(DAGS, dag_id, new_run_after(), tmp_path / "worker.log")
    try:
        running = wait_for(
            "the worker's job to run",
            lambda: next(
                (job for job in jobs.labelled("stand-in", "cancel-worker") if job["state"] == "running"), None
            ),
            90,
        )
        worker.signal(signal.SIGTERM)
        cancelled = jobs.wait(running["id"], {"cancelled"}, 30)
        # The worker finds the job cancelled at its next look (poll_interval, 10 s) and fails the task.
        assert worker.wait(60) == 0
    finally:
        worker.close()

    assert cancelled["id"] == running["id"]
    log = worker.output()
    assert f"The task was killed; asking Sluice to cancel job {running['id']}" in log
    ti = TaskInstanceView.read(dag_id, worker.run_id, "submit")
    assert ti is not None and ti.state == "failed"

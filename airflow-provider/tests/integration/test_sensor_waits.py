"""SluiceJobSensor in a real Airflow against a real Sluice (stand-in runs).

- On one job: succeeds on a succeeded job (returning its id); fails at once, on its first try
  although it has retries, on a failed one, naming Sluice's failure class and reason.
- On a pipeline: finds the next succeeded job of the pipeline since a time, one submitted while
  the sensor waits, and not an older one.

The DAGs are in dags/faults_sensor.py; the jobs are submitted straight through Sluice's API.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator

import pytest

from airflow_tasks import TaskInstanceView, load_dag, run_dag, task_tries
from sluice_harness import SluiceJobs, wait_for

DAGS = "faults_sensor.py"
INPUTS = ["stand-in/part-0.parquet"]


@pytest.fixture(scope="module")
def jobs(sluice) -> Iterator[SluiceJobs]:
    client = SluiceJobs(sluice.url, sluice.api_key)
    yield client
    client.close()


@pytest.fixture(scope="module")
def ended(jobs) -> dict[str, dict]:
    """One succeeded and one failed job, run side by side."""
    # Exit code 65 is the Spark app's "data" failure, which Sluice does not retry by itself.
    submitted = {
        "succeeded": jobs.submit("stand-in", {"rows": 1}, INPUTS),
        "failed": jobs.submit("stand-in", {"exit": 65}, INPUTS),
    }
    return {state: jobs.wait(job["id"], {state}, 60) for state, job in submitted.items()}


@pytest.mark.timeout(90)
def test_sensor_on_a_succeeded_job_succeeds_with_its_id(ended):
    job_id = ended["succeeded"]["id"]

    run = run_dag(load_dag(DAGS, "faults_sensor_job"), run_conf={"job_id": job_id})

    assert run.state == "success"
    assert (run.ti("wait").state, run.ti("wait").try_number) == ("success", 1)
    assert run.xcom("wait") == job_id


@pytest.mark.timeout(90)
def test_sensor_on_a_failed_job_fails_at_once_with_its_reason(ended):
    job_id = ended["failed"]["id"]

    run = run_dag(load_dag(DAGS, "faults_sensor_job"), run_conf={"job_id": job_id})

    assert run.state == "failed"
    ti = run.ti("wait")
    assert (ti.state, ti.try_number, ti.max_tries) == ("failed", 1, 2)
    (only_try,) = task_tries(run.log, "wait")
    assert f"Sluice job {job_id} failed (data): stand-in failure" in only_try


@pytest.mark.timeout(120)
def test_pipeline_sensor_finds_the_job_that_succeeded_after_since(jobs, ended):
    dag_id = "faults_sensor_pipeline"
    earlier = ended["succeeded"]
    since = datetime.datetime.now(datetime.timezone.utc)
    later: dict[str, dict] = {}

    def submit_while_waiting(run_id: str) -> None:
        wait_for(
            "the sensor to poke",
            lambda: (ti := TaskInstanceView.read(dag_id, run_id, "wait")) and ti.state == "running",
            60,
        )
        time.sleep(2)  # a poke or two that find nothing yet
        later["job"] = jobs.submit("stand-in", {"rows": 2}, INPUTS)

    run = run_dag(load_dag(DAGS, dag_id), run_conf={"since": since.isoformat()}, during=submit_while_waiting)

    assert run.state == "success"
    assert run.ti("wait").try_number == 1
    found = run.xcom("wait")
    assert found == later["job"]["id"] != earlier["id"]
    assert jobs.get(found)["state"] == "succeeded"
    (only_try,) = task_tries(run.log, "wait")
    assert "No job of pipeline stand-in has succeeded since" in only_try

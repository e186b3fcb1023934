"""SluiceSubmitJobOperator's fault lines, in a real Airflow against a real Sluice (stand-in runs).

- A wrong API key, an unknown pipeline, invalid parameters: the task fails at once, on its first
  try although it has retries, and its log carries Sluice's answer (status, detail, field path).
- Sluice unreachable for 20 s while the deferred task's trigger waits: the task still succeeds.
- The worker dies while its job runs: the next try adopts that same job.
- A job that failed for its data, or that on-call cancelled in Sluice, fails the task without
  Airflow retries (which would run the job again); clearing the task retries that job in Sluice.
  A platform failure is retried by Airflow, and that retry retries the job in Sluice rather than
  submitting another.
- A deferred task with an execution_timeout and no timeout: the wait ends at the
  execution_timeout, and the job is cancelled.
- A parameter changed between a task instance's tries (a Variable it renders, changed before the
  task is cleared): the next try submits a new job instead of failing on Sluice's 409 for a
  reused Idempotency-Key; cleared again with the request unchanged, it adopts that job.

The DAGs are in dags/faults_operator.py.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator

import pytest

from airflow_tasks import (
    DagRunProcess,
    TaskInstanceView,
    load_dag,
    new_run_after,
    run_cleared,
    run_dag,
    run_next_try,
    task_tries,
    xcom,
)
from sluice_harness import SluiceJobs, wait_for

DAGS = "faults_operator.py"
# The longest a try that fails "at once" may take: the first task of the session also starts
# Airflow's in-process API (~5 s); the hook's retries of one request would add 31 s (1+2+4+8+16).
AT_ONCE = 15.0


@pytest.fixture(scope="module")
def jobs(sluice) -> Iterator[SluiceJobs]:
    client = SluiceJobs(sluice.url, sluice.api_key)
    yield client
    client.close()


def one_job_per_key(jobs: SluiceJobs, job: dict) -> bool:
    """Whether `job` is the only job of its pipeline with its Idempotency-Key."""
    key = job.get("idempotencyKey")
    assert key, f"job {job['id']} has no Idempotency-Key"
    return [other["id"] for other in jobs.of_pipeline(job["pipeline"]) if other.get("idempotencyKey") == key] == [job["id"]]


@pytest.mark.timeout(90)
def test_wrong_api_key_fails_the_task_at_once_with_sluices_401(sluice, jobs, monkeypatch):
    for name, value in sluice.connection_uri_env("sluice_badkey", api_key="not-the-api-key").items():
        monkeypatch.setenv(name, value)

    run = run_dag(load_dag(DAGS, "faults_bad_key"))
    log = run.log

    assert run.state == "failed"
    ti = run.ti("submit")
    assert (ti.state, ti.try_number, ti.max_tries) == ("failed", 1, 2)
    assert ti.duration is not None and ti.duration < AT_ONCE
    (only_try,) = task_tries(log, "submit")
    assert "401 Unauthorized: the API key is not valid" in only_try
    assert jobs.labelled("stand-in", "bad-key") == []
    assert "not-the-api-key" not in log


@pytest.mark.timeout(90)
def test_unknown_pipeline_and_invalid_parameters_fail_at_once_naming_the_field(sluice, jobs):
    before = len(jobs.of_pipeline("stand-in"))

    run = run_dag(load_dag(DAGS, "faults_bad_request"))
    log = run.log

    assert run.state == "failed"
    expected = {
        "unknown_pipeline": [
            '422 Unprocessable content: no pipeline is named "no-such-pipeline"',
            "  pipeline: unknown pipeline; known: stand-in",
        ],
        "wrong_type": [
            "422 Unprocessable content: the parameters do not fit the pipeline",
            "  parameters.seconds: must be a number",
        ],
        "unknown_parameter": ['  parameters.sleep: pipeline "stand-in" declares no parameter "sleep"'],
    }
    for task_id, lines in expected.items():
        ti = run.ti(task_id)
        assert (task_id, ti.state, ti.try_number) == (task_id, "failed", 1)
        assert ti.duration is not None and ti.duration < AT_ONCE, task_id
        (only_try,) = task_tries(log, task_id)
        for line in lines:
            assert line in only_try, f"{task_id}: {line!r} not in its log"
    assert len(jobs.of_pipeline("stand-in")) == before


@pytest.mark.timeout(180)
def test_deferred_task_completes_when_sluice_returns_after_20_s_away(sluice, jobs):
    dag_id = "faults_unreachable"
    moments: dict[str, float] = {}

    def outage(run_id: str) -> None:
        job_id = wait_for("the job id in XCom", lambda: xcom(dag_id, run_id, "submit", "job_id"), 60)
        # Deferred: the task handed its wait to the trigger (dag.test() then runs it inline).
        wait_for(
            "the task to defer",
            lambda: (ti := TaskInstanceView.read(dag_id, run_id, "submit")) and ti.next_method == "execute_complete",
            60,
        )
        jobs.wait(job_id, {"running"}, 30)
        time.sleep(1)  # the trigger's first look at the job, before Sluice goes away
        sluice.stop()
        moments["stopped"] = time.monotonic()
        time.sleep(20)
        sluice.start()
        moments["back"] = time.monotonic()

    run = run_dag(load_dag(DAGS, dag_id), during=outage)
    ended = time.monotonic()
    log = run.log

    assert run.state == "success"
    ti = run.ti("submit")
    assert (ti.state, ti.try_number) == ("success", 1)
    (job,) = jobs.labelled("stand-in", "unreachable")
    assert job["state"] == "succeeded"
    assert run.xcom("submit", "job_id") == job["id"]
    assert run.xcom("submit", "rows_out") == 3
    (only_try,) = task_tries(log, "submit")
    assert f"polling job {job['id']} again in" in only_try, "the trigger never met the outage"
    # Production defaults (poll every 10 s, twice as long after each miss): Sluice back after
    # 20 s away means at most one 20 s wait before the trigger looks again, plus Sluice's own
    # time to finish the job it ran meanwhile.
    print(f"task done {ended - moments['back']:.1f} s after Sluice returned")
    assert ended - moments["back"] < 35


@pytest.mark.timeout(150)
def test_next_try_after_the_worker_died_adopts_the_same_job(sluice, jobs, tmp_path):
    dag_id = "faults_worker_died"
    worker = DagRunProcess(DAGS, dag_id, new_run_after(), tmp_path / "worker.log")
    try:
        running = wait_for(
            "the worker's job to run",
            lambda: next((job for job in jobs.labelled("stand-in", "worker-died") if job["state"] == "running"), None),
            90,
        )
        worker.signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        worker.close()
    died = TaskInstanceView.read(dag_id, worker.run_id, "submit")
    assert died is not None and (died.state, died.try_number) == ("running", 1)

    second = run_next_try(load_dag(DAGS, dag_id), worker.run_id, "submit")

    assert (second.ti.state, second.ti.try_number) == ("success", 2)
    (job,) = jobs.labelled("stand-in", "worker-died")
    assert job["id"] == running["id"]
    assert one_job_per_key(jobs, job)
    assert (job["state"], job["attempt"]) == ("succeeded", 1)
    assert xcom(dag_id, worker.run_id, "submit", "job_id") == job["id"]
    (try_two,) = task_tries(second.log, "submit")
    assert f"Sluice already has job {job['id']} for this task instance" in try_two
    assert "adopting it" in try_two


@pytest.mark.timeout(150)
def test_a_data_failure_is_not_retried_and_a_clear_retries_the_job_in_sluice(sluice, jobs):
    dag = load_dag(DAGS, "faults_job_failed")
    run = run_dag(dag)

    assert run.state == "failed"
    ti = run.ti("submit")
    assert (ti.state, ti.try_number, ti.max_tries) == ("failed", 1, 1)  # a retry was left, unused
    (job,) = jobs.labelled("stand-in", "job-failed")
    assert (job["state"], job["attempt"], job["failure"]["class"]) == ("failed", 1, "data")
    (first,) = task_tries(run.log, "submit")
    assert f"Submitted Sluice job {job['id']}" in first
    assert f"Sluice job {job['id']} failed (data): stand-in failure" in first
    assert f"Not retrying: a retry would ask Sluice to run job {job['id']} again, and a data failure" in first

    # A DAG author who fixed the cause clears the task: the same request adopts the same job
    # and asks Sluice to run it again.
    cleared = run_cleared(dag, run.run_id, "submit")

    assert (cleared.ti.state, cleared.ti.try_number) == ("failed", 2)
    (job,) = jobs.labelled("stand-in", "job-failed")
    assert (job["state"], job["attempt"]) == ("failed", 2)
    assert one_job_per_key(jobs, job)
    assert f"Sluice job {job['id']} is failed: asking Sluice to retry it" in cleared.log
    assert f"Sluice job {job['id']} failed (data): stand-in failure" in cleared.log


@pytest.mark.timeout(150)
def test_a_platform_failure_is_retried_by_airflow_which_retries_the_job_in_sluice(sluice, jobs):
    run = run_dag(load_dag(DAGS, "faults_platform_failed"))

    assert run.state == "failed"
    assert run.ti("submit").try_number == 2
    (job,) = jobs.labelled("stand-in", "platform-failed")
    assert (job["state"], job["failure"]["class"]) == ("failed", "platform")
    assert one_job_per_key(jobs, job)
    first, second = task_tries(run.log, "submit")
    assert f"Submitted Sluice job {job['id']}" in first
    assert "Not retrying" not in first
    assert f"Sluice job {job['id']} is failed: asking Sluice to retry it" in second
    # Sluice ran its own attempts (max_attempts 3) for each of the two tries.
    assert job["attempt"] > 3


@pytest.mark.timeout(150)
def test_a_job_cancelled_in_sluice_fails_the_task_without_retries(sluice, jobs):
    dag_id = "faults_cancelled_in_sluice"

    def cancel_from_the_dashboard(run_id: str) -> None:
        job_id = wait_for("the job id in XCom", lambda: xcom(dag_id, run_id, "submit", "job_id"), 60)
        jobs.wait(job_id, {"running"}, 30)
        jobs.cancel(job_id)

    run = run_dag(load_dag(DAGS, dag_id), during=cancel_from_the_dashboard)

    assert run.state == "failed"
    ti = run.ti("submit")
    assert (ti.state, ti.try_number, ti.max_tries) == ("failed", 1, 2)
    (job,) = jobs.labelled("stand-in", "cancelled-in-sluice")
    # Not resurrected: no retry asked Sluice to run it again.
    assert (job["state"], job["attempt"]) == ("cancelled", 1)
    (only_try,) = task_tries(run.log, "submit")
    assert f"Not retrying: job {job['id']} was cancelled in Sluice" in only_try


@pytest.mark.timeout(150)
def test_a_deferred_task_ends_at_its_execution_timeout_and_cancels_the_job(sluice, jobs):
    started = time.monotonic()
    run = run_dag(load_dag(DAGS, "faults_execution_timeout"))
    took = time.monotonic() - started

    assert run.state == "failed"
    (job,) = jobs.labelled("stand-in", "execution-timeout")
    job = jobs.wait(job["id"], {"cancelled"}, 30)
    (only_try,) = task_tries(run.log, "submit")
    assert (
        f"Sluice job {job['id']} did not end within the task's execution_timeout of 0:00:08; cancelled it" in only_try
    )
    # Well before the job's own 60 s.
    assert took < 40, took


@pytest.mark.timeout(150)
def test_a_changed_parameter_then_a_clear_submits_a_new_job(sluice, jobs, monkeypatch):
    dag = load_dag(DAGS, "faults_changed_request")
    monkeypatch.setenv("AIRFLOW_VAR_SLUICE_TEST_ROWS", "2")
    run = run_dag(dag)
    assert run.state == "success"
    (first,) = jobs.labelled("stand-in", "changed-request")
    assert (first["parameters"]["rows"], first["state"]) == (2, "succeeded")

    # The DAG author changes the Variable and clears the task.
    monkeypatch.setenv("AIRFLOW_VAR_SLUICE_TEST_ROWS", "3")
    cleared = run_cleared(dag, run.run_id, "submit")

    assert (cleared.ti.state, cleared.ti.try_number) == ("success", 2)
    second = next(job for job in jobs.labelled("stand-in", "changed-request") if job["id"] != first["id"])
    assert (second["parameters"]["rows"], second["state"]) == (3, "succeeded")
    assert f"Submitted Sluice job {second['id']}" in cleared.log
    # Both keys name the same task instance (their common prefix), then each its own request.
    prefix = first["idempotencyKey"].rsplit(":", 1)[0]
    assert second["idempotencyKey"].rsplit(":", 1)[0] == prefix
    assert second["idempotencyKey"] != first["idempotencyKey"]

    # Cleared again, the request unchanged: the job of that request is adopted as it is.
    again = run_cleared(dag, run.run_id, "submit")

    assert (again.ti.state, again.ti.try_number) == ("success", 3)
    assert len(jobs.labelled("stand-in", "changed-request")) == 2
    assert f"Sluice already has job {second['id']} for this task instance" in again.log

"""SluiceSubmitJobOperator: its idempotency key, its templated job parameters, and what it does
with each answer (its hook talks to an httpx.MockTransport; the integration tests use a real
Sluice)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from airflow.sdk import DAG, Param
from airflow.sdk.bases.operator import ExecutorSafeguard
from airflow.sdk.exceptions import AirflowException, AirflowFailException, TaskDeferred
from airflow.sdk.execution_time.context import OutletEventAccessors

from sluice_provider import exceptions as exceptions_module
from sluice_provider.assets import lake_table_asset, sql_table_asset
from sluice_provider.exceptions import SluiceJobFailed, SluiceRequestRejected
from sluice_provider.hooks.sluice import SluiceHook
from sluice_provider.operators import job as operator_module
from sluice_provider.operators.job import SluiceSubmitJobOperator, idempotency_key, job_parameters
from sluice_provider.triggers.job import SluiceJobTrigger

KEY_SHAPE = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
RUN_ID = "scheduled__2026-01-02T00:00:00+00:00"


# ------------------------------------------------------------------------------ the idempotency key


@pytest.mark.parametrize(
    ("dag_id", "task_id", "run_id", "map_index"),
    [
        ("example_sluice_job", "meter_by_status", "manual__2026-01-01T00:00:00+00:00", -1),
        ("d" * 250, "group.t" * 40, "r" * 250, 12345),
        ("dåg wïth spaces/and:colons", "tâsk", "run id with \n newline", 0),
    ],
)
def test_the_key_is_one_sluice_accepts(dag_id: str, task_id: str, run_id: str, map_index: int) -> None:
    key = idempotency_key(dag_id, task_id, run_id, map_index)
    assert KEY_SHAPE.match(key), key
    assert key.startswith("airflow:")


def test_the_key_is_readable_and_the_same_for_every_try() -> None:
    key = idempotency_key("example_sluice_job", "meter_by_status", "manual__2026-01-01T00:00:00+00:00", -1)
    assert re.fullmatch(
        r"airflow:example_sluice_job:meter_by_status:manual__2026-01-01T00_00_00_00_00:[0-9a-f]{32}", key
    )
    assert key == idempotency_key("example_sluice_job", "meter_by_status", "manual__2026-01-01T00:00:00+00:00", -1)


def test_every_part_of_the_task_instance_changes_the_key() -> None:
    base = ("dag", "task", RUN_ID, -1)
    keys = {
        idempotency_key(*base),
        idempotency_key("dag2", "task", RUN_ID, -1),
        idempotency_key("dag", "task2", RUN_ID, -1),
        idempotency_key("dag", "task", RUN_ID + "x", -1),
        idempotency_key("dag", "task", RUN_ID, 0),
        idempotency_key("dag", "task", RUN_ID, 1),
        # Readable parts that clean up the same still differ in the digest.
        idempotency_key("dag", "task", RUN_ID.replace("+", "_"), -1),
        idempotency_key("dag+x", "task", RUN_ID, -1),
        idempotency_key("dag_x", "task", RUN_ID, -1),
    }
    assert len(keys) == 9


def test_the_key_with_its_request_digest_stays_within_sluices_limits() -> None:
    request = {"pipeline": "p" * 300, "parameters": {"site": "x" * 5000}, "inputs": ["in/" * 100], "priority": 1000}
    key = idempotency_key("d" * 250, "t" * 250, "r" * 250, 2**31 - 1, request)
    assert KEY_SHAPE.match(key), key
    assert len(key) <= 200
    assert re.fullmatch(r"airflow:d{40}:t{40}:r{40}:m2147483647:[0-9a-f]{32}:[0-9a-f]{16}", key)
    # The task instance's part is the key without a request: every key of one task instance shares it.
    assert key.startswith(idempotency_key("d" * 250, "t" * 250, "r" * 250, 2**31 - 1) + ":")


def test_every_part_of_the_request_changes_the_key() -> None:
    base = {"pipeline": "p", "parameters": {"site": "s1"}, "inputs": ["a"], "priority": 5, "labels": {"k": "v"}}
    variants = [
        base,
        {**base, "pipeline": "q"},
        {**base, "parameters": {"site": "s2"}},
        {**base, "parameters": {"site": "s1", "day": "2026-01-02"}},
        {**base, "inputs": ["b"]},
        {**base, "priority": 6},
        {**base, "labels": {"k": "w"}},
        {key: value for key, value in base.items() if key != "labels"},
    ]
    keys = {idempotency_key("dag", "task", RUN_ID, -1, request) for request in variants}
    assert len(keys) == len(variants)
    # The same request, its keys in another order: the same key.
    reordered = dict(reversed(list(base.items())))
    assert idempotency_key("dag", "task", RUN_ID, -1, reordered) == idempotency_key("dag", "task", RUN_ID, -1, base)


# ----------------------------------------------------------------------------- job parameters


def test_job_parameters_are_the_tasks_params_not_the_dags() -> None:
    with DAG(
        "params_dag",
        schedule=None,
        start_date=START,
        params={"site": "from-the-dag", "owner_team": Param("energy", type="string")},
        default_args={"params": {"from_default_args": 1}},
    ):
        op = SluiceSubmitJobOperator(task_id="t", pipeline="meter-by-status", params={"day": "{{ ds }}", "rows": 5})
    assert op.parameters == {"day": "{{ ds }}", "rows": 5}
    # Airflow still sees all of them as params, as for any task.
    assert set(op.params) == {"site", "owner_team", "from_default_args", "day", "rows"}


def test_a_task_param_overrides_a_dag_param_of_the_same_name() -> None:
    with DAG("override_dag", schedule=None, start_date=START, params={"site": "dag-site"}):
        op = SluiceSubmitJobOperator(task_id="t", pipeline="p", params={"site": "site-007"})
    assert op.parameters == {"site": "site-007"}


def test_no_params_means_no_job_parameters() -> None:
    with DAG("no_params_dag", schedule=None, start_date=START, params={"site": "dag-site"}):
        op = SluiceSubmitJobOperator(task_id="t", pipeline="p")
    assert op.parameters == {}
    assert job_parameters({"a": 1, "b": Param(2, type="integer")}) == {"a": 1, "b": 2}


def test_a_job_parameter_without_a_value_is_refused_when_the_dag_is_parsed() -> None:
    with pytest.raises(ValueError, match="job parameters need a value: site"):
        SluiceSubmitJobOperator(task_id="t", pipeline="p", params={"site": Param(type="string"), "day": "x"})


def test_parameters_is_the_argument_for_the_jobs_parameters() -> None:
    with DAG("parameters_dag", schedule=None, start_date=START, params={"site": Param("site-007")}):
        op = SluiceSubmitJobOperator(task_id="t", pipeline="p", parameters={"site": "{{ params.site }}", "rows": 5})
        both = SluiceSubmitJobOperator(
            task_id="both", pipeline="p", params={"day": "{{ ds }}", "rows": 1}, parameters={"rows": 5}
        )
    assert op.parameters == {"site": "{{ params.site }}", "rows": 5}
    # params= stays a convenience; a key given both ways takes parameters' value.
    assert both.parameters == {"day": "{{ ds }}", "rows": 5}


def test_parameters_can_be_mapped_over_next_to_a_dag_param_of_the_same_name() -> None:
    with DAG("mapped_parameters_dag", schedule=None, start_date=START, params={"site": Param("site-007")}):
        mapped = SluiceSubmitJobOperator.partial(task_id="m", pipeline="p", params={"day": "{{ ds }}"}).expand(
            parameters=[{"site": "s1"}, {"site": "s2"}]
        )
    assert mapped.unmap({"parameters": {"site": "s1"}}).parameters == {"day": "{{ ds }}", "site": "s1"}
    assert mapped.unmap({"parameters": {"site": "s2"}}).parameters == {"day": "{{ ds }}", "site": "s2"}


def test_mapped_params_keep_a_key_the_dag_has_too() -> None:
    # Airflow's unmapping writes a mapped params value into the DAG's Param of that name, which
    # keeps its source "dag": a value that differs from the DAG's is the mapped one.
    with DAG("mapped_params_dag", schedule=None, start_date=START, params={"site": Param("site-007"), "env": "prod"}):
        mapped = SluiceSubmitJobOperator.partial(task_id="m", pipeline="p").expand(
            params=[{"site": "s1"}, {"site": "s2"}]
        )
    assert mapped.unmap({"params": {"site": "s1"}}).parameters == {"site": "s1"}
    assert mapped.unmap({"params": {"site": "s2"}}).parameters == {"site": "s2"}


def test_parameters_from_an_xcom_cannot_be_mixed_with_params() -> None:
    with DAG("xcom_parameters_dag", schedule=None, start_date=START):
        upstream = SluiceSubmitJobOperator(task_id="up", pipeline="p")
        op = SluiceSubmitJobOperator(task_id="t", pipeline="p", parameters=upstream.output)
        assert op.parameters == upstream.output
        assert op.upstream_task_ids == {"up"}
        with pytest.raises(ValueError, match="not both: move site into parameters"):
            SluiceSubmitJobOperator(task_id="t2", pipeline="p", parameters=upstream.output, params={"site": "x"})


def test_parameters_that_render_to_text_fail_the_task_without_retries() -> None:
    sluice = Sluice({})
    with pytest.raises(AirflowFailException, match="parameters must be a mapping .* render_template_as_native_obj"):
        operator(sluice, params=None, parameters="{'site': 'x'}").execute(context(FakeTI()))
    assert sluice.calls() == []


def test_templated_fields_render(tmp_path) -> None:
    assert SluiceSubmitJobOperator.template_fields == ("pipeline", "parameters", "inputs", "labels")
    with DAG("render_dag", schedule=None, start_date=START, params={"site": "dag-site"}) as dag:
        op = SluiceSubmitJobOperator(
            task_id="t",
            pipeline="{{ 'meter-' ~ 'daily' }}",
            params={"day": "{{ ds }}", "site": "site-{{ '%03d' % 7 }}"},
            inputs=["meter-readings/{{ ds_nodash }}"],
            labels={"run": "{{ run_id }}"},
        )
    context: dict[str, Any] = {"ds": "2026-01-02", "ds_nodash": "20260102", "run_id": RUN_ID, "dag": dag}
    op.render_template_fields(context)
    assert op.pipeline == "meter-daily"
    assert op.parameters == {"day": "2026-01-02", "site": "site-007"}
    assert op.inputs == ["meter-readings/20260102"]
    assert op.labels == {"run": RUN_ID}


# ---------------------------------------------------------------------------- execute and friends


def job(state: str, job_id: str = "j1", **extra: Any) -> dict[str, Any]:
    view = {
        "id": job_id,
        "pipeline": "meter-by-status",
        "state": state,
        "stage": "done" if state in ("succeeded", "failed", "cancelled") else "await",
        "attempt": 1,
        "maxAttempts": 3,
        "priority": 10,
        "parameters": {"site": "site-007"},
        "inputs": [],
        "labels": {},
        "createdAt": "2026-01-01T00:00:00.000Z",
        "updatedAt": "2026-01-01T00:00:09.000Z",
        "history": [{"state": state, "at": "2026-01-01T00:00:09.000Z", "attempt": 1, "reason": f"now {state}"}],
    }
    view.update(extra)
    return view


SUCCEEDED = job(
    "succeeded",
    run={
        "launcher": "local",
        "runId": "j1-1",
        "attempt": 1,
        "startedAt": "2026-01-01T00:00:01Z",
        "uiUrl": "http://driver:4040",
    },
    output={
        "runUri": "file:///lake/meter_by_status/run=j1-1",
        "table": "meter_by_status",
        "rowsIn": 20000,
        "rowsOut": 3,
        "files": 1,
        "bytes": 900,
        "committedAt": "2026-01-01T00:00:08Z",
        "columns": ["status", "readings", "kwh_sum"],
    },
    loads=[
        {
            "sink": "warehouse:dbo.meter_by_status",
            "dialect": "sqlserver",
            "table": "dbo.meter_by_status",
            "mode": "merge",
            "runAttempt": 1,
            "rowsStaged": 3,
            "inserted": 3,
            "updated": 0,
            "deleted": 0,
            "durationMs": 40,
            "loadedAt": "2026-01-01T00:00:09Z",
            "alreadyLoaded": False,
            "checksum": "abc",
        }
    ],
)


class FakeTI:
    """The parts of a running task instance the operator uses."""

    dag_id = "example_sluice_job"
    task_id = "meter_by_status"
    run_id = RUN_ID
    map_index = -1

    def __init__(self) -> None:
        self.xcoms: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value


class Sluice:
    """A scripted Sluice: a list of answers per "METHOD /path"; the last answer repeats."""

    def __init__(self, routes: dict[str, list[httpx.Response]]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answers = self.routes[f"{request.method} {request.url.path}"]
        return answers.pop(0) if len(answers) > 1 else answers[0]

    def calls(self) -> list[str]:
        return [f"{request.method} {request.url.path}" for request in self.requests]


@pytest.fixture(autouse=True)
def unguarded(monkeypatch: pytest.MonkeyPatch) -> None:
    # execute() normally refuses to run outside Airflow's task runner.
    monkeypatch.setattr(ExecutorSafeguard, "test_mode", True)
    monkeypatch.setenv(
        "AIRFLOW_CONN_SLUICE_OP_UNIT",
        json.dumps({"conn_type": "sluice", "host": "http://sluice.test", "password": "sk-op-unit-key"}),
    )


def operator(sluice: Sluice, **kwargs: Any) -> SluiceSubmitJobOperator:
    defaults: dict[str, Any] = {
        "task_id": "meter_by_status",
        "pipeline": "meter-by-status",
        "params": {"site": "site-007"},
    }
    op = SluiceSubmitJobOperator(sluice_conn_id="sluice_op_unit", **{**defaults, **kwargs})
    op.__dict__["hook"] = SluiceHook(sluice_conn_id="sluice_op_unit", transport=httpx.MockTransport(sluice))
    return op


def context(ti: FakeTI, events: OutletEventAccessors | None = None) -> dict[str, Any]:
    return {"ti": ti, "outlet_events": events if events is not None else OutletEventAccessors()}


def test_submits_pushes_the_job_id_and_defers(capsys: pytest.CaptureFixture) -> None:
    sluice = Sluice({"POST /v1/jobs": [httpx.Response(201, json=job("queued"))]})
    ti = FakeTI()
    before = datetime.now(timezone.utc)
    with pytest.raises(TaskDeferred) as deferred:
        operator(sluice, timeout=600, poll_interval=5).execute(context(ti))
    assert ti.xcoms == {"job_id": "j1"}
    request = json.loads(sluice.requests[0].content)
    assert request == {"pipeline": "meter-by-status", "parameters": {"site": "site-007"}}
    assert sluice.requests[0].headers["idempotency-key"] == idempotency_key(
        ti.dag_id, ti.task_id, ti.run_id, -1, request
    )
    trigger = deferred.value.trigger
    assert isinstance(trigger, SluiceJobTrigger)
    assert deferred.value.method_name == "execute_complete"
    kwargs = trigger.serialize()[1]
    assert (kwargs["job_id"], kwargs["poll_interval"], kwargs["cancel_on_kill"]) == ("j1", 5.0, True)
    end_by = datetime.fromisoformat(kwargs["end_by"])
    assert before + timedelta(seconds=600) <= end_by <= datetime.now(timezone.utc) + timedelta(seconds=600)
    assert "Submitted Sluice job j1" in capsys.readouterr().out


def test_a_replayed_failed_job_is_retried_in_sluice(capsys: pytest.CaptureFixture) -> None:
    sluice = Sluice(
        {
            "POST /v1/jobs": [httpx.Response(200, json=job("failed"))],
            "POST /v1/jobs/j1/retry": [httpx.Response(202, json=job("queued", attempt=2))],
        }
    )
    with pytest.raises(TaskDeferred):
        operator(sluice).execute(context(FakeTI()))
    assert sluice.calls() == ["POST /v1/jobs", "POST /v1/jobs/j1/retry"]
    log = capsys.readouterr().out
    assert "Sluice already has job j1 for this task instance" in log
    assert "Sluice job j1 is failed: asking Sluice to retry it" in log


def test_a_replayed_running_job_is_followed_not_resubmitted() -> None:
    sluice = Sluice({"POST /v1/jobs": [httpx.Response(200, json=job("running"))]})
    with pytest.raises(TaskDeferred) as deferred:
        operator(sluice).execute(context(FakeTI()))
    assert deferred.value.trigger.job_id == "j1"
    assert sluice.calls() == ["POST /v1/jobs"]


def test_a_replayed_succeeded_job_finishes_at_once() -> None:
    sluice = Sluice({"POST /v1/jobs": [httpx.Response(200, json=SUCCEEDED)]})
    ti = FakeTI()
    assert operator(sluice).execute(context(ti)) == SUCCEEDED
    assert ti.xcoms["rows_out"] == 3
    assert sluice.calls() == ["POST /v1/jobs"]


def test_without_waiting_it_returns_the_submitted_job() -> None:
    sluice = Sluice({"POST /v1/jobs": [httpx.Response(201, json=job("queued"))]})
    ti = FakeTI()
    assert operator(sluice, wait_for_completion=False).execute(context(ti))["state"] == "queued"
    assert ti.xcoms == {"job_id": "j1"}
    assert sluice.calls() == ["POST /v1/jobs"]


def test_not_deferrable_it_polls_from_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(operator_module.time, "sleep", slept.append)
    sluice = Sluice(
        {
            "POST /v1/jobs": [httpx.Response(201, json=job("queued"))],
            "GET /v1/jobs/j1": [httpx.Response(200, json=job("running")), httpx.Response(200, json=SUCCEEDED)],
        }
    )
    ti = FakeTI()
    assert operator(sluice, deferrable=False, poll_interval=3).execute(context(ti))["state"] == "succeeded"
    assert slept == [3.0, 3.0]
    assert ti.xcoms["lake_path"] == "file:///lake/meter_by_status/run=j1-1"


REDIS_AWAY = {
    "type": "urn:sluice:problem:redis-unavailable",
    "title": "Service unavailable",
    "status": 503,
    "detail": "Redis did not answer",
    "errors": [],
}


def redis_away() -> httpx.Response:
    headers = {"Retry-After": "2", "content-type": "application/problem+json"}
    return httpx.Response(503, json=REDIS_AWAY, headers=headers)


@pytest.mark.parametrize(
    "outage",
    [
        pytest.param(redis_away, id="503"),
        pytest.param(lambda: httpx.Response(500, json={"title": "Internal Server Error"}), id="500"),
    ],
)
def test_not_deferrable_it_keeps_polling_through_an_outage_longer_than_the_hooks_retries(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, outage: Any
) -> None:
    # Sluice answers "unavailable" (503: its Redis is away; or a server error) to every try of
    # several polls in a row, longer than the hook's own retries (1 + 5 tries of a 503), while
    # the job goes on: the worker waits it out, as the trigger and the sensor do, and says so once.
    monkeypatch.setattr(operator_module.time, "sleep", lambda seconds: None)  # the hook's too: one `time`
    tries = 1 + SluiceHook().retry_limit
    sluice = Sluice(
        {
            "POST /v1/jobs": [httpx.Response(201, json=job("queued"))],
            "GET /v1/jobs/j1": [
                httpx.Response(200, json=job("running")),
                *(outage() for _ in range(3 * tries)),
                httpx.Response(200, json=job("running")),
                httpx.Response(200, json=SUCCEEDED),
            ],
        }
    )
    ti = FakeTI()
    assert operator(sluice, deferrable=False, poll_interval=3).execute(context(ti))["state"] == "succeeded"
    assert sluice.calls().count("GET /v1/jobs/j1") == 1 + 3 * tries + 2
    assert ti.xcoms["rows_out"] == 3
    log = capsys.readouterr().out
    assert log.count("still waiting for job j1") == 1
    assert log.count("Sluice answers again") == 1


def test_not_deferrable_an_outage_does_not_outlast_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    clock = [start]

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001
            return clock[0]

    def sleep(seconds: float) -> None:
        clock[0] += timedelta(seconds=seconds)

    monkeypatch.setattr(operator_module, "datetime", Clock)
    monkeypatch.setattr(operator_module.time, "sleep", sleep)  # the hook's retries too: one `time` module
    sluice = Sluice(
        {
            "POST /v1/jobs": [httpx.Response(201, json=job("queued"))],
            "GET /v1/jobs/j1": [redis_away()],
            "POST /v1/jobs/j1/cancel": [httpx.Response(202, json=job("cancelled"))],
        }
    )
    with pytest.raises(AirflowException, match=r"^Sluice job j1 did not end within 0:02:00; cancelled it$"):
        operator(sluice, deferrable=False, poll_interval=10, timeout=120).execute(context(FakeTI()))
    assert sluice.calls()[-1] == "POST /v1/jobs/j1/cancel"
    # The wait ends at the first look after the timeout: past it by at most one poll's retries
    # (2 + 2 + 4 + 8 + 16 s, Retry-After honoured).
    assert timedelta(seconds=120) < clock[0] - start <= timedelta(seconds=120 + 32)


@pytest.mark.parametrize("status", [401, 403, 404])
def test_not_deferrable_a_refused_poll_fails_the_task_at_once(monkeypatch: pytest.MonkeyPatch, status: int) -> None:
    monkeypatch.setattr(operator_module.time, "sleep", lambda seconds: None)  # the hook's too: one `time`
    # An outage first (a whole poll of 503s), then an answer no wait can change.
    tries = 1 + SluiceHook().retry_limit
    refused = httpx.Response(status, json={"title": "Refused", "detail": "no", "errors": []})
    sluice = Sluice(
        {
            "POST /v1/jobs": [httpx.Response(201, json=job("queued"))],
            "GET /v1/jobs/j1": [
                httpx.Response(200, json=job("running")),
                *(redis_away() for _ in range(tries)),
                refused,
                httpx.Response(200, json=SUCCEEDED),
            ],
        }
    )
    with pytest.raises(SluiceRequestRejected) as caught:
        operator(sluice, deferrable=False, poll_interval=3).execute(context(FakeTI()))
    assert caught.value.status == status
    assert isinstance(caught.value, AirflowFailException)  # no Airflow retries
    assert sluice.calls().count("GET /v1/jobs/j1") == 1 + tries + 1


def test_success_pushes_the_xcoms_and_annotates_the_outlets() -> None:
    lake = lake_table_asset("meter_by_status")
    table = sql_table_asset("warehouse", "dbo.meter_by_status")
    op = operator(Sluice({}), outlets=[lake, table])
    ti, events = FakeTI(), OutletEventAccessors()
    event = {"status": "succeeded", "job_id": "j1", "job": SUCCEEDED, "message": "Sluice job j1 succeeded (3 rows out)"}
    assert op.execute_complete(context(ti, events), event) == SUCCEEDED
    assert ti.xcoms == {
        "state": "succeeded",
        "job_id": "j1",
        "rows_in": 20000,
        "rows_out": 3,
        "lake_path": "file:///lake/meter_by_status/run=j1-1",
        "sql_loads": SUCCEEDED["loads"],
        "spark_ui_url": "http://driver:4040",
    }
    assert events[lake].extra == {
        "sluice_job_id": "j1",
        "pipeline": "meter-by-status",
        "rows_out": 3,
        "run_uri": "file:///lake/meter_by_status/run=j1-1",
    }
    assert events[table].extra["sql_load"] == {
        "table": "dbo.meter_by_status",
        "mode": "merge",
        "inserted": 3,
        "updated": 0,
        "deleted": 0,
    }


def test_failure_logs_the_driver_log_tail_and_names_class_and_reason(capsys: pytest.CaptureFixture) -> None:
    failed = job(
        "failed",
        failure={"class": "data", "message": "input x.parquet: not a Parquet file", "stage": "running", "attempt": 1},
    )
    sluice = Sluice({"GET /v1/jobs/j1/logs": [httpx.Response(200, text="line 1\nSLUICE_FAILURE boom\n")]})
    ti = FakeTI()
    with pytest.raises(SluiceJobFailed) as caught:
        operator(sluice).execute_complete(
            context(ti), {"status": "failed", "job_id": "j1", "job": failed, "message": ""}
        )
    assert str(caught.value) == "Sluice job j1 failed (data): input x.parquet: not a Parquet file"
    assert (caught.value.failure_class, caught.value.log_tail) == ("data", "line 1\nSLUICE_FAILURE boom\n")
    assert ti.xcoms == {"state": "failed"}
    log = capsys.readouterr().out
    assert "Driver log tail of Sluice job j1:" in log
    assert "SLUICE_FAILURE boom" in log


def test_a_timeout_cancels_the_job_and_fails_the_task() -> None:
    sluice = Sluice({"POST /v1/jobs/j1/cancel": [httpx.Response(202, json=job("cancelled"))]})
    with pytest.raises(AirflowException, match=r"^Sluice job j1 did not end within 0:10:00; cancelled it$"):
        operator(sluice, timeout=timedelta(minutes=10)).execute_complete(
            context(FakeTI()), {"status": "timeout", "job_id": "j1", "job": job("running"), "message": "still running"}
        )
    assert sluice.calls() == ["POST /v1/jobs/j1/cancel"]


def test_on_kill_cancels_the_submitted_job() -> None:
    sluice = Sluice(
        {
            "POST /v1/jobs": [httpx.Response(201, json=job("queued"))],
            "POST /v1/jobs/j1/cancel": [httpx.Response(202, json=job("cancelled"))],
        }
    )
    op = operator(sluice, wait_for_completion=False)
    op.on_kill()  # nothing submitted yet: nothing to cancel
    op.execute(context(FakeTI()))
    op.on_kill()
    assert sluice.calls() == ["POST /v1/jobs", "POST /v1/jobs/j1/cancel"]


def test_on_kill_leaves_the_job_without_cancel_on_kill() -> None:
    sluice = Sluice({"POST /v1/jobs": [httpx.Response(201, json=job("queued"))]})
    op = operator(sluice, wait_for_completion=False, cancel_on_kill=False)
    op.execute(context(FakeTI()))
    op.on_kill()
    assert sluice.calls() == ["POST /v1/jobs"]


# ------------------------------------------------------------------------- failures and retries


@pytest.mark.parametrize(
    ("failure_class", "state", "retried"),
    [
        ("user", "failed", False),
        ("data", "failed", False),
        ("cancelled", "cancelled", False),
        ("platform", "failed", True),
        ("timeout", "failed", True),
    ],
)
def test_only_platform_and_timeout_failures_are_left_to_airflow_retries(
    failure_class: str, state: str, retried: bool, capsys: pytest.CaptureFixture
) -> None:
    ended = job(
        state, failure={"class": failure_class, "message": "why", "stage": "running", "attempt": 1, "logTail": "x"}
    )
    with pytest.raises(SluiceJobFailed) as caught:
        operator(Sluice({})).execute_complete(context(FakeTI()), {"status": state, "job_id": "j1", "job": ended})
    assert str(caught.value) == f"Sluice job j1 failed ({failure_class}): why"
    assert isinstance(caught.value, AirflowFailException) is not retried
    assert ("Not retrying" in capsys.readouterr().out) is not retried


def test_a_job_cancelled_in_sluice_is_not_retried_but_a_clear_runs_it_again() -> None:
    failure = {"class": "cancelled", "message": 'cancelled by API key "oncall"', "stage": "running", "attempt": 1}
    cancelled = job("cancelled", failure=failure)
    with pytest.raises(AirflowFailException):
        operator(Sluice({})).execute_complete(
            context(FakeTI()), {"status": "cancelled", "job_id": "j1", "job": cancelled}
        )
    # A human clears the task: the same request adopts the job and asks Sluice to run it again.
    sluice = Sluice(
        {
            "POST /v1/jobs": [httpx.Response(200, json=cancelled)],
            "POST /v1/jobs/j1/retry": [httpx.Response(202, json=job("queued", attempt=2))],
        }
    )
    with pytest.raises(TaskDeferred):
        operator(sluice).execute(context(FakeTI()))
    assert sluice.calls() == ["POST /v1/jobs", "POST /v1/jobs/j1/retry"]


# ------------------------------------------------------------------- the key of a changed request


def test_a_changed_request_submits_a_new_job_and_an_unchanged_one_adopts_its_job() -> None:
    sluice = Sluice(
        {
            "POST /v1/jobs": [
                httpx.Response(201, json=job("queued")),
                httpx.Response(200, json=job("running")),
                httpx.Response(201, json=job("queued", job_id="j2")),
            ]
        }
    )
    for site in ("site-007", "site-007", "site-008"):  # a try, its retry, a clear after a fix
        with pytest.raises(TaskDeferred):
            operator(sluice, params={"site": site}).execute(context(FakeTI()))
    first, retry, fixed = (request.headers["idempotency-key"] for request in sluice.requests)
    assert first == retry
    assert fixed != first
    prefix = idempotency_key(FakeTI.dag_id, FakeTI.task_id, RUN_ID, -1)
    assert first.startswith(prefix + ":") and fixed.startswith(prefix + ":")


def test_a_reused_key_says_what_to_do() -> None:
    conflict = {
        "type": "urn:sluice:problem:idempotency-key-reused",
        "title": "Conflict",
        "status": 409,
        "detail": "this Idempotency-Key was already used with a different request body",
        "errors": [],
    }
    sluice = Sluice({"POST /v1/jobs": [httpx.Response(409, json=conflict)]})
    with pytest.raises(SluiceRequestRejected) as caught:
        operator(sluice).execute(context(FakeTI()))
    assert isinstance(caught.value, AirflowFailException)
    message = str(caught.value)
    assert message.startswith("409 Conflict: this Idempotency-Key was already used with a different request body\n")
    assert f"  Idempotency-Key {sluice.requests[0].headers['idempotency-key']}: " in message
    assert "change the request (a label will do) and clear the task, or start a new DAG run" in message
    assert caught.value.type == "urn:sluice:problem:idempotency-key-reused"


# ------------------------------------------------------------------------------ execution_timeout


class StartedTI(FakeTI):
    def __init__(self, start_date: datetime) -> None:
        super().__init__()
        self.start_date = start_date


def test_a_deferred_wait_ends_at_the_execution_timeout() -> None:
    sluice = Sluice({"POST /v1/jobs": [httpx.Response(201, json=job("queued"))]})
    started = datetime.now(timezone.utc) - timedelta(minutes=30)
    before = datetime.now(timezone.utc)
    with pytest.raises(TaskDeferred) as deferred:
        operator(sluice, execution_timeout=timedelta(hours=2)).execute(context(StartedTI(started)))
    assert deferred.value.trigger.serialize()[1]["end_by"] == (started + timedelta(hours=2)).isoformat()
    assert deferred.value.kwargs == {"limit": "the task's execution_timeout of 2:00:00"}
    # Airflow's own deferral timeout is only a backstop, after the trigger's.
    backstop = timedelta(hours=1, minutes=30) + operator_module._DEFER_BACKSTOP
    assert backstop - (datetime.now(timezone.utc) - before) <= deferred.value.timeout <= backstop


def test_a_deferred_wait_ends_at_the_earlier_of_timeout_and_execution_timeout() -> None:
    sluice = Sluice({"POST /v1/jobs": [httpx.Response(201, json=job("queued"))]})
    before = datetime.now(timezone.utc)
    with pytest.raises(TaskDeferred) as deferred:
        operator(sluice, timeout=600, execution_timeout=timedelta(hours=2)).execute(context(StartedTI(before)))
    end_by = datetime.fromisoformat(deferred.value.trigger.serialize()[1]["end_by"])
    assert before + timedelta(seconds=600) <= end_by <= datetime.now(timezone.utc) + timedelta(seconds=600)
    assert not deferred.value.kwargs


def test_the_execution_timeout_event_cancels_the_job_and_names_the_limit() -> None:
    sluice = Sluice({"POST /v1/jobs/j1/cancel": [httpx.Response(202, json=job("cancelled"))]})
    with pytest.raises(AirflowException) as caught:
        operator(sluice, execution_timeout=timedelta(hours=2)).execute_complete(
            context(FakeTI()),
            {"status": "timeout", "job_id": "j1", "job": job("running"), "message": "still running"},
            limit="the task's execution_timeout of 2:00:00",
        )
    assert str(caught.value) == "Sluice job j1 did not end within the task's execution_timeout of 2:00:00; cancelled it"
    assert not isinstance(caught.value, AirflowFailException)
    assert sluice.calls() == ["POST /v1/jobs/j1/cancel"]


@pytest.mark.parametrize(
    ("limits", "within"),
    [
        ({"execution_timeout": timedelta(hours=2)}, "the task's execution_timeout of 2:00:00"),
        ({"execution_timeout": timedelta(hours=2), "timeout": 600}, "0:10:00"),
        ({"execution_timeout": timedelta(minutes=5), "timeout": 600}, "the task's execution_timeout of 0:05:00"),
    ],
)
def test_a_timeout_event_without_its_limit_names_the_shorter_one(limits: dict[str, Any], within: str) -> None:
    # dag.test() resumes a deferred task without the kwargs it deferred with.
    sluice = Sluice({"POST /v1/jobs/j1/cancel": [httpx.Response(202, json=job("cancelled"))]})
    with pytest.raises(AirflowException, match=f"^Sluice job j1 did not end within {re.escape(within)}; cancelled it$"):
        operator(sluice, **limits).execute_complete(
            context(FakeTI()), {"status": "timeout", "job_id": "j1", "job": job("running"), "message": "still"}
        )


# ---------------------------------------------------------------------------- a persistent 500


def test_not_deferrable_a_persistent_500_ends_the_wait_naming_the_answer(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    clock = [0.0]

    def sleep(seconds: float) -> None:
        if clock[0] > 86400:
            raise AssertionError("still waiting after a day")
        clock[0] += seconds

    monkeypatch.setattr(operator_module.time, "sleep", sleep)
    monkeypatch.setattr(exceptions_module, "_clock", lambda: clock[0], raising=False)
    boom = {"title": "Internal Server Error", "detail": "boom", "requestId": "req-9"}
    sluice = Sluice(
        {
            "POST /v1/jobs": [httpx.Response(201, json=job("queued"))],
            "GET /v1/jobs/j1": [httpx.Response(200, json=job("running")), httpx.Response(500, json=boom)],
        }
    )
    with pytest.raises(AirflowException) as caught:
        operator(sluice, deferrable=False, poll_interval=30).execute(context(FakeTI()))
    # Ten answers or more, over ten minutes or more: a 500 every 30 s for 10 min.
    assert sluice.calls().count("GET /v1/jobs/j1") == 1 + 21
    assert str(caught.value) == (
        "gave up waiting for Sluice job j1: Sluice answered 500 to 21 looks in a row over 10 min, the last: "
        "500 Internal Server Error: boom (requestId req-9). That is a bug in Sluice for its operators to look "
        "into; the job may go on meanwhile, and a retry of the task adopts it"
    )
    assert not isinstance(caught.value, AirflowFailException)
    log = capsys.readouterr().out
    assert "Sluice answered 500 Internal Server Error: boom; still waiting for job j1" in log

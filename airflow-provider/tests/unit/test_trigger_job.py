"""SluiceJobTrigger: it serializes and round-trips, and how it polls, backs off, times out and kills.

The trigger's own hook talks to an httpx.MockTransport here (the logic under test is the
trigger's); its waits are recorded instead of slept.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from airflow.sdk.serde import deserialize, serialize

from sluice_provider import exceptions as exceptions_module
from sluice_provider.hooks.sluice import SluiceHook
from sluice_provider.triggers import job as trigger_module
from sluice_provider.triggers.job import SluiceJobTrigger

CONN_ID = "sluice_trigger_unit"


@pytest.fixture(autouse=True)
def connection(monkeypatch: pytest.MonkeyPatch) -> None:
    conn = {"conn_type": "sluice", "host": "http://sluice.test", "password": "sk-trigger-unit-key"}
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(conn))


def job(state: str, **extra: object) -> dict:
    view = {
        "id": "j1",
        "pipeline": "stand-in",
        "state": state,
        "stage": "await",
        "attempt": 1,
        "maxAttempts": 3,
        "priority": 10,
        "parameters": {},
        "inputs": [],
        "labels": {},
        "createdAt": "2026-01-01T00:00:00.000Z",
        "updatedAt": "2026-01-01T00:00:00.000Z",
        "history": [],
    }
    view.update(extra)
    return view


class Sluice:
    """A scripted Sluice: answers GETs in turn (the last one repeats), records every request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method == "POST":
            return httpx.Response(202, json=job("cancelled"))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []

    async def no_sleep(delay: float) -> None:
        recorded.append(delay)

    monkeypatch.setattr(trigger_module.asyncio, "sleep", no_sleep)
    return recorded


def wire(monkeypatch: pytest.MonkeyPatch, sluice: Sluice) -> None:
    transport = httpx.MockTransport(sluice)
    monkeypatch.setattr(
        SluiceJobTrigger,
        "_hook",
        lambda self: SluiceHook(sluice_conn_id=self.sluice_conn_id, retry_limit=0, transport=transport),
    )
    original = SluiceHook.__init__

    def with_transport(self, *args, **kwargs):  # on_kill builds its own hook
        kwargs.setdefault("transport", transport)
        original(self, *args, **kwargs)

    monkeypatch.setattr(SluiceHook, "__init__", with_transport)


def first_event(trigger: SluiceJobTrigger) -> dict:
    async def run() -> dict:
        return (await anext(trigger.run())).payload

    return asyncio.run(run())


# ------------------------------------------------------------------------------ serialization


def test_serialize_round_trips() -> None:
    trigger = SluiceJobTrigger(
        job_id="j1", sluice_conn_id="other", poll_interval=2.5, end_by="2026-01-01T00:30:00+00:00", cancel_on_kill=False
    )
    classpath, kwargs = trigger.serialize()
    assert classpath == "sluice_provider.triggers.job.SluiceJobTrigger"
    assert SluiceJobTrigger(**kwargs).serialize() == (classpath, kwargs)


def test_serialized_kwargs_survive_airflows_serde() -> None:
    # What the triggerer (and dag.test()) stores and rebuilds the trigger from.
    _, kwargs = SluiceJobTrigger(job_id="j1", end_by="2026-01-01T00:30:00+00:00").serialize()
    rebuilt = SluiceJobTrigger(**deserialize(serialize(kwargs)))
    assert rebuilt.serialize()[1] == kwargs


# ------------------------------------------------------------------------------------ polling


def test_polls_until_the_job_ends(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> None:
    succeeded = job(
        "succeeded",
        output={
            "runUri": "file:///l/t/run=j1-1",
            "table": "t",
            "rowsIn": 3,
            "rowsOut": 3,
            "files": 1,
            "bytes": 10,
            "committedAt": "2026-01-01T00:00:09Z",
            "columns": [],
        },
    )
    sluice = Sluice(
        httpx.Response(200, json=job("queued")),
        httpx.Response(200, json=job("running")),
        httpx.Response(200, json=succeeded),
    )
    wire(monkeypatch, sluice)
    event = first_event(SluiceJobTrigger(job_id="j1", sluice_conn_id=CONN_ID, poll_interval=4))
    assert event["status"] == "succeeded"
    assert event["job"]["output"]["rowsOut"] == 3
    assert event["message"] == "Sluice job j1 succeeded (3 rows out)"
    assert waits == [4.0, 4.0]
    assert [request.url.path for request in sluice.requests] == ["/v1/jobs/j1"] * 3


def test_a_failed_job_ends_the_wait_with_its_failure(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> None:
    failure = {"class": "data", "message": "stand-in failure", "stage": "running", "attempt": 1}
    wire(monkeypatch, Sluice(httpx.Response(200, json=job("failed", failure=failure))))
    event = first_event(SluiceJobTrigger(job_id="j1", sluice_conn_id=CONN_ID))
    assert (event["status"], event["message"]) == ("failed", "Sluice job j1 failed (data): stand-in failure")


def test_keeps_polling_with_growing_delays_while_sluice_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, waits: list[float], capsys: pytest.CaptureFixture
) -> None:
    refused = httpx.ConnectError("[Errno 111] Connection refused")
    unavailable = httpx.Response(503, json={"title": "Service Unavailable", "detail": "Redis is unavailable"})
    sluice = Sluice(
        refused,
        refused,
        unavailable,
        refused,
        refused,
        refused,
        httpx.Response(200, json=job("running")),
        refused,
        httpx.Response(200, json=job("cancelled")),
    )
    wire(monkeypatch, sluice)
    event = first_event(SluiceJobTrigger(job_id="j1", sluice_conn_id=CONN_ID, poll_interval=10))
    assert event["status"] == "cancelled"
    # 10, 20, 40, then capped at 60; back to the poll interval once Sluice answers.
    assert waits == [10.0, 20.0, 40.0, 60.0, 60.0, 60.0, 10.0, 10.0]
    log = capsys.readouterr().out
    assert (
        "Sluice unreachable (Sluice at http://sluice.test is unreachable (ConnectError: [Errno 111] Connection refused)"
        in log
    )
    assert "Sluice answered 503 Service Unavailable: Redis is unavailable; polling job j1 again in 40 s" in log


@pytest.fixture
def clocked(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> list[float]:
    """`waits`, also the trigger's clock (the time its waits add up to); fails a wait that would
    go on for ever."""

    async def bounded_sleep(delay: float) -> None:
        if len(waits) >= 200:
            raise AssertionError(f"still waiting after 200 polls: {waits[-3:]}")
        waits.append(delay)

    monkeypatch.setattr(trigger_module.asyncio, "sleep", bounded_sleep)
    monkeypatch.setattr(exceptions_module, "_clock", lambda: sum(waits), raising=False)
    return waits


def test_a_persistent_500_ends_the_wait_with_an_error_naming_the_answer(
    monkeypatch: pytest.MonkeyPatch, clocked: list[float], capsys: pytest.CaptureFixture
) -> None:
    waits = clocked
    boom = httpx.Response(500, json={"title": "Internal Server Error", "detail": "boom", "requestId": "req-7"})
    sluice = Sluice(httpx.Response(200, json=job("running")), boom)
    wire(monkeypatch, sluice)
    event = first_event(SluiceJobTrigger(job_id="j1", sluice_conn_id=CONN_ID, poll_interval=10))
    assert event["status"] == "error"
    assert event["job"]["state"] == "running"
    # 10, 20, 40, then 60 s between looks: the 13th 500 in a row comes 10 min after the first.
    assert waits == [10.0, 10.0, 20.0, 40.0, *[60.0] * 9]
    assert event["message"] == (
        "gave up waiting for Sluice job j1: Sluice answered 500 to 13 looks in a row over 10 min, the last: "
        "500 Internal Server Error: boom (requestId req-7). That is a bug in Sluice for its operators to look "
        "into; the job may go on meanwhile, and a retry of the task adopts it"
    )
    log = capsys.readouterr().out
    assert "Sluice answered 500 Internal Server Error: boom; polling job j1 again in 10 s" in log
    assert "unreachable" not in log


def test_a_500_streak_broken_by_an_answer_starts_again(monkeypatch: pytest.MonkeyPatch, clocked: list[float]) -> None:
    boom = httpx.Response(500, json={"title": "Internal Server Error", "detail": "boom"})
    running = httpx.Response(200, json=job("running"))
    sluice = Sluice(*[boom] * 12, running, *[boom] * 12, httpx.Response(200, json=job("succeeded")))
    wire(monkeypatch, sluice)
    event = first_event(SluiceJobTrigger(job_id="j1", sluice_conn_id=CONN_ID, poll_interval=10))
    assert event["status"] == "succeeded"
    assert len(sluice.requests) == 26


def test_a_connection_whose_timeout_is_not_a_number_ends_the_wait_with_an_error(
    monkeypatch: pytest.MonkeyPatch, waits: list[float]
) -> None:
    conn = {
        "conn_type": "sluice",
        "host": "http://sluice.test",
        "password": "sk-trigger-unit-key",
        "extra": {"timeout": "30s"},
    }
    monkeypatch.setenv("AIRFLOW_CONN_SLUICE_TRIGGER_BAD_TIMEOUT", json.dumps(conn))
    sluice = Sluice(httpx.Response(200, json=job("running")))
    wire(monkeypatch, sluice)
    event = first_event(SluiceJobTrigger(job_id="j1", sluice_conn_id="sluice_trigger_bad_timeout"))
    assert event["status"] == "error"
    assert event["message"] == (
        "cannot follow Sluice job j1: Airflow connection 'sluice_trigger_bad_timeout': its extra field "
        "\"timeout\" must be a number of seconds more than 0 (e.g. 30), not '30s'"
    )
    assert (sluice.requests, waits) == ([], [])


def test_never_sleeps_past_end_by_and_then_times_out(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> None:
    end_by = datetime.now(timezone.utc) + timedelta(seconds=30)
    clock = iter([end_by - timedelta(seconds=25), end_by + timedelta(seconds=1)])

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001
            return next(clock)

    monkeypatch.setattr(trigger_module, "datetime", Clock)
    wire(monkeypatch, Sluice(httpx.Response(200, json=job("running"))))
    event = first_event(
        SluiceJobTrigger(job_id="j1", sluice_conn_id=CONN_ID, poll_interval=60, end_by=end_by.isoformat())
    )
    assert waits == [25.0]
    assert event["status"] == "timeout"
    assert event["job"]["state"] == "running"
    assert event["message"] == f"Sluice job j1 was still running at {end_by.isoformat()}"


def test_an_unreachable_sluice_at_end_by_is_a_timeout(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> None:
    wire(monkeypatch, Sluice(httpx.ConnectError("[Errno 111] Connection refused")))
    past = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat()
    event = first_event(SluiceJobTrigger(job_id="j1", sluice_conn_id=CONN_ID, end_by=past))
    assert event["status"] == "timeout"
    assert "(at the end: Sluice unreachable (Sluice at http://sluice.test is unreachable" in event["message"]
    assert waits == []


def test_a_refused_request_ends_the_wait_with_an_error(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> None:
    gone = httpx.Response(404, json={"title": "Not found", "detail": 'job "j1" does not exist', "errors": []})
    wire(monkeypatch, Sluice(gone))
    event = first_event(SluiceJobTrigger(job_id="j1", sluice_conn_id=CONN_ID))
    assert event["status"] == "error"
    assert '404 Not found: job "j1" does not exist' in event["message"]


def test_a_connection_without_an_api_key_ends_the_wait_with_an_error(
    monkeypatch: pytest.MonkeyPatch, waits: list[float]
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_SLUICE_TRIGGER_NO_KEY", json.dumps({"conn_type": "sluice", "host": "http://sluice.test"})
    )
    sluice = Sluice(httpx.Response(200, json=job("running")))
    wire(monkeypatch, sluice)
    event = first_event(SluiceJobTrigger(job_id="j1", sluice_conn_id="sluice_trigger_no_key"))
    assert event["status"] == "error"
    assert event["message"].startswith(
        "cannot follow Sluice job j1: Airflow connection 'sluice_trigger_no_key' has no API key"
    )
    assert (sluice.requests, waits) == ([], [])


# ------------------------------------------------------------------------------------ on_kill


def test_on_kill_cancels_the_job(monkeypatch: pytest.MonkeyPatch) -> None:
    sluice = Sluice(httpx.Response(200, json=job("running")))
    wire(monkeypatch, sluice)
    asyncio.run(SluiceJobTrigger(job_id="j1", sluice_conn_id=CONN_ID).on_kill())
    assert [(request.method, request.url.path) for request in sluice.requests] == [("POST", "/v1/jobs/j1/cancel")]


def test_on_kill_leaves_the_job_alone_without_cancel_on_kill(monkeypatch: pytest.MonkeyPatch) -> None:
    sluice = Sluice(httpx.Response(200, json=job("running")))
    wire(monkeypatch, sluice)
    asyncio.run(SluiceJobTrigger(job_id="j1", sluice_conn_id=CONN_ID, cancel_on_kill=False).on_kill())
    assert sluice.requests == []

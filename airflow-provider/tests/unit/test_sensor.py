"""SluiceJobSensor's decisions (its hook talks to an httpx.MockTransport here)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from airflow.sdk.bases.operator import ExecutorSafeguard
from airflow.sdk.exceptions import TaskDeferred

from sluice_provider.exceptions import SluiceJobFailed, SluiceRequestRejected
from sluice_provider.hooks.sluice import SluiceHook
from sluice_provider.sensors.job import SluiceJobSensor

SINCE = datetime(2026, 1, 2, tzinfo=timezone.utc)


def at(offset_minutes: float) -> str:
    return (SINCE + timedelta(minutes=offset_minutes)).isoformat().replace("+00:00", "Z")


def job(job_id: str, state: str, created: float, ended: float | None = None, **extra: Any) -> dict[str, Any]:
    history = [{"state": "queued", "at": at(created), "attempt": 1, "reason": "submitted"}]
    if ended is not None:
        history.append({"state": state, "at": at(ended), "attempt": 1, "reason": state})
    view = {
        "id": job_id,
        "pipeline": "meter-daily",
        "state": state,
        "stage": "done",
        "attempt": 1,
        "maxAttempts": 3,
        "priority": 10,
        "parameters": {},
        "inputs": [],
        "labels": {},
        "createdAt": at(created),
        "updatedAt": at(ended if ended is not None else created),
        "history": history,
    }
    view.update(extra)
    return view


class Sluice:
    def __init__(self, pages: list[dict[str, Any]] | None = None, job_view: dict[str, Any] | None = None) -> None:
        self.pages = pages or []
        self.job_view = job_view
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/v1/jobs":
            cursor = request.url.params.get("cursor")
            return httpx.Response(200, json=self.pages[int(cursor) if cursor else 0])
        return httpx.Response(200, json=self.job_view)


@pytest.fixture(autouse=True)
def setup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ExecutorSafeguard, "test_mode", True)
    monkeypatch.setenv(
        "AIRFLOW_CONN_SLUICE_SENSOR_UNIT",
        json.dumps({"conn_type": "sluice", "host": "http://s.test", "password": "sk-sensor-unit"}),
    )


def sensor(sluice: Sluice, **kwargs: Any) -> SluiceJobSensor:
    op = SluiceJobSensor(task_id="wait", sluice_conn_id="sluice_sensor_unit", **kwargs)
    op.__dict__["hook"] = SluiceHook(sluice_conn_id="sluice_sensor_unit", transport=httpx.MockTransport(sluice))
    return op


def test_needs_exactly_one_of_job_id_and_pipeline() -> None:
    with pytest.raises(ValueError, match="exactly one of job_id and pipeline"):
        SluiceJobSensor(task_id="a")
    with pytest.raises(ValueError, match="exactly one of job_id and pipeline"):
        SluiceJobSensor(task_id="b", job_id="j1", pipeline="meter-daily")


def test_pipeline_mode_picks_the_first_job_that_ended_since() -> None:
    pages = [
        {"items": [job("j5", "succeeded", 50, 55), job("j4", "succeeded", -5, 30)], "nextCursor": "1"},
        # j3 was created before `since` but ended after it; j2 ended before; j1 is past lookback.
        {"items": [job("j3", "succeeded", -20, 10), job("j2", "succeeded", -30, -1)], "nextCursor": "2"},
        {"items": [job("j1", "succeeded", -3000, 100)], "nextCursor": None},
    ]
    sluice = Sluice(pages)
    result = sensor(sluice, pipeline="meter-daily", since=SINCE.isoformat(), lookback=timedelta(hours=1)).poke({})
    assert (bool(result), result.xcom_value) == (True, "j3")
    first = sluice.requests[0].url.params
    assert (first["pipeline"], first["state"]) == ("meter-daily", "succeeded")


def test_pipeline_mode_waits_when_nothing_ended_since() -> None:
    sluice = Sluice([{"items": [job("j2", "succeeded", -30, -1)], "nextCursor": None}])
    assert not sensor(sluice, pipeline="meter-daily", since=SINCE).poke({})


def test_pipeline_mode_defaults_since_to_the_data_interval_start() -> None:
    sluice = Sluice([{"items": [job("j2", "succeeded", -30, -1)], "nextCursor": None}])
    op = sensor(sluice, pipeline="meter-daily")
    assert not op.poke({"data_interval_start": SINCE})
    assert op.poke({"data_interval_start": SINCE - timedelta(minutes=10)}).xcom_value == "j2"


def test_job_mode_fails_at_once_when_the_job_failed() -> None:
    failed = job(
        "j1", "failed", 0, 1, failure={"class": "user", "message": "bad SQL", "stage": "running", "attempt": 1}
    )
    with pytest.raises(SluiceJobFailed, match=r"^Sluice job j1 failed \(user\): bad SQL$"):
        sensor(Sluice(job_view=failed), job_id="j1").poke({})


def test_job_mode_defers_without_cancelling_on_kill() -> None:
    with pytest.raises(TaskDeferred) as deferred:
        sensor(Sluice(job_view=job("j1", "running", 0)), job_id="j1", poke_interval=15).execute({})
    kwargs = deferred.value.trigger.serialize()[1]
    assert (kwargs["job_id"], kwargs["poll_interval"], kwargs["cancel_on_kill"]) == ("j1", 15.0, False)


def test_job_mode_returns_at_once_when_the_job_already_succeeded() -> None:
    assert sensor(Sluice(job_view=job("j1", "succeeded", 0, 1)), job_id="j1").execute({}) == "j1"


def test_an_unreachable_sluice_is_not_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    op = SluiceJobSensor(task_id="wait", job_id="j1", sluice_conn_id="sluice_sensor_unit")
    op.__dict__["hook"] = SluiceHook(
        sluice_conn_id="sluice_sensor_unit", retry_limit=0, transport=httpx.MockTransport(refuse)
    )
    assert op.poke({}) is False


def test_a_503_is_not_yet_and_a_refusal_fails_at_once() -> None:
    # What SluiceSubmitJobOperator's worker poll and SluiceJobTrigger wait through, the sensor too.
    def answering(status: int):  # noqa: ANN202
        problem = {"title": "Service Unavailable" if status == 503 else "Forbidden", "detail": "x", "errors": []}
        return lambda request: httpx.Response(status, json=problem)

    def poked(status: int, **kwargs: Any) -> Any:
        op = SluiceJobSensor(task_id="wait", sluice_conn_id="sluice_sensor_unit", **kwargs)
        op.__dict__["hook"] = SluiceHook(
            sluice_conn_id="sluice_sensor_unit", retry_limit=0, transport=httpx.MockTransport(answering(status))
        )
        return op.poke({})

    assert poked(503, job_id="j1") is False
    assert poked(503, pipeline="meter-daily", since=SINCE) is False
    with pytest.raises(SluiceRequestRejected, match="^403 Forbidden"):
        poked(403, job_id="j1")
    with pytest.raises(SluiceRequestRejected, match="^403 Forbidden"):
        poked(403, pipeline="meter-daily", since=SINCE)

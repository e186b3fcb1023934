"""SluiceHook's client logic: what it makes of Sluice's answers, and how it retries.

Sluice is replaced here by httpx.MockTransport handlers (the logic under test is the hook's own);
the integration tests run the hook against a real Sluice.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

import httpx
import pytest
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from sluice_provider.exceptions import SluiceApiError, SluiceRequestRejected, SluiceUnreachable
from sluice_provider.hooks import sluice as hook_module
from sluice_provider.hooks.sluice import SluiceHook

API_KEY = "sk-test-0123456789abcdef"
CONN_ID = "sluice_unit"


def job_view(job_id: str = "j1", state: str = "queued", **extra: object) -> dict:
    job = {
        "id": job_id,
        "pipeline": "meter-by-status",
        "state": state,
        "stage": "queue",
        "attempt": 1,
        "maxAttempts": 3,
        "priority": 10,
        "parameters": {"site": "site-007"},
        "inputs": [],
        "labels": {},
        "createdAt": "2026-01-01T00:00:00.000Z",
        "updatedAt": "2026-01-01T00:00:00.000Z",
        "history": [{"state": "queued", "at": "2026-01-01T00:00:00.000Z", "attempt": 1, "reason": "submitted"}],
    }
    job.update(extra)
    return job


def problem(status: int, title: str, detail: str, errors: list[dict] | None = None) -> httpx.Response:
    body = {
        "type": "urn:sluice:problem:test",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": "/v1/jobs",
        "requestId": "req-1",
        "errors": errors or [],
    }
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


@pytest.fixture(autouse=True)
def connection(monkeypatch: pytest.MonkeyPatch) -> None:
    conn = {"conn_type": "sluice", "host": "http://sluice.test:8080", "password": API_KEY}
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(conn))


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The hook's waits between retries, recorded instead of slept."""
    waited: list[float] = []
    monkeypatch.setattr(hook_module.time, "sleep", waited.append)

    async def no_sleep(delay: float) -> None:
        waited.append(delay)

    monkeypatch.setattr(hook_module.asyncio, "sleep", no_sleep)
    return waited


class Script:
    """Answers requests in turn and records them."""

    def __init__(self, *answers: httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer(request) if callable(answer) else answer


def logged(capsys: pytest.CaptureFixture) -> list[str]:
    """The log lines written so far (Airflow's structlog setup writes them to stdout)."""
    captured = capsys.readouterr()
    return (captured.out + captured.err).splitlines()


def hook_for(script: Script, **kwargs: object) -> SluiceHook:
    return SluiceHook(sluice_conn_id=CONN_ID, transport=httpx.MockTransport(script), **kwargs)


# ----------------------------------------------------------------------------------- answers


def test_submit_sends_the_request_and_reports_a_created_job() -> None:
    script = Script(httpx.Response(201, json=job_view()))
    submitted = hook_for(script).submit_job(
        "meter-by-status", {"site": "site-007"}, labels={"team": "energy"}, idempotency_key="airflow:k"
    )
    assert submitted.created is True
    assert submitted.job_id == "j1"
    request = script.requests[0]
    assert (request.method, request.url.path) == ("POST", "/v1/jobs")
    assert str(request.url).startswith("http://sluice.test:8080/")
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["idempotency-key"] == "airflow:k"
    assert json.loads(request.content) == {
        "pipeline": "meter-by-status",
        "parameters": {"site": "site-007"},
        "labels": {"team": "energy"},
    }


def test_a_replayed_submit_is_reported_as_not_created() -> None:
    submitted = hook_for(Script(httpx.Response(200, json=job_view(state="failed")))).submit_job("p", {})
    assert submitted.created is False
    assert submitted.job["state"] == "failed"


def test_get_job_returns_the_api_json_untouched() -> None:
    output = {
        "runUri": "file:///lake/t/run=j1-1",
        "table": "t",
        "rowsIn": 5,
        "rowsOut": 2,
        "files": 1,
        "bytes": 100,
        "committedAt": "2026-01-01T00:00:05Z",
        "columns": ["x"],
        "someNewField": 1,
    }
    job = job_view(state="succeeded", output=output, someNewTopLevelField={"a": 1})
    assert hook_for(Script(httpx.Response(200, json=job))).get_job("j1") == job


def test_invalid_parameters_fail_at_once_with_field_paths(sleeps: list[float]) -> None:
    script = Script(
        problem(
            422,
            "Unprocessable content",
            "the parameters do not fit the pipeline",
            [{"path": "parameters.site", "message": 'pipeline "meter-by-status" needs parameter "site"'}],
        )
    )
    with pytest.raises(SluiceRequestRejected) as caught:
        hook_for(script).submit_job("meter-by-status", {})
    error = caught.value
    assert isinstance(error, AirflowFailException)  # the task fails without Airflow retries
    assert str(error) == (
        "422 Unprocessable content: the parameters do not fit the pipeline\n"
        '  parameters.site: pipeline "meter-by-status" needs parameter "site"'
    )
    assert error.errors == [{"path": "parameters.site", "message": 'pipeline "meter-by-status" needs parameter "site"'}]
    assert error.request_id == "req-1"
    assert len(script.requests) == 1
    assert sleeps == []


def test_a_wrong_api_key_fails_at_once_with_sluices_detail(sleeps: list[float]) -> None:
    script = Script(problem(401, "Unauthorized", "the API key is not valid"))
    with pytest.raises(SluiceRequestRejected, match=r"^401 Unauthorized: the API key is not valid$"):
        hook_for(script).get_job("j1")
    assert len(script.requests) == 1
    assert sleeps == []


def test_a_server_error_is_an_api_error_a_task_retry_may_fix(sleeps: list[float]) -> None:
    script = Script(problem(500, "Internal Server Error", "something broke"))
    with pytest.raises(SluiceApiError) as caught:
        hook_for(script).get_job("j1")
    assert not isinstance(caught.value, AirflowFailException)
    assert str(caught.value) == "500 Internal Server Error: something broke"
    assert len(script.requests) == 1


def test_an_answer_that_is_not_sluices_is_described_not_dumped() -> None:
    page = "<html><body><h1>Welcome to nginx</h1></body></html>"
    with pytest.raises(SluiceApiError) as caught:
        hook_for(Script(httpx.Response(200, text=page))).get_job("j1")
    message = str(caught.value)
    assert message.startswith("200 OK: the answer from http://sluice.test:8080/v1/jobs/j1 is not one Sluice sends")
    assert "Welcome to nginx" in message
    assert "Traceback" not in message


# ----------------------------------------------------------------------------------- retries


def test_a_503_is_retried_with_backoff_and_a_log_line_each(sleeps: list[float], capsys: pytest.CaptureFixture) -> None:
    script = Script(
        problem(503, "Service Unavailable", "Redis is unavailable"),
        problem(503, "Service Unavailable", "Redis is unavailable"),
        httpx.Response(200, json=job_view()),
    )
    assert hook_for(script).get_job("j1")["id"] == "j1"
    assert len(script.requests) == 3
    assert sleeps == [1.0, 2.0]  # production defaults: 1 s, doubling
    retry_lines = [line for line in logged(capsys) if "retrying" in line]
    assert len(retry_lines) == 2
    assert "Sluice answered 503 Service Unavailable: Redis is unavailable; retrying in 1 s" in retry_lines[0]
    assert "Sluice answered 503 Service Unavailable: Redis is unavailable; retrying in 2 s" in retry_lines[1]


def test_connection_refused_is_retried_then_reported_as_unreachable(sleeps: list[float]) -> None:
    script = Script(httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(SluiceUnreachable) as caught:
        hook_for(script).get_job("j1")
    assert len(script.requests) == 6  # the first try and retry_limit=5 retries
    assert sleeps == [1.0, 2.0, 4.0, 8.0, 16.0]
    message = str(caught.value)
    assert message.startswith(
        "Sluice at http://sluice.test:8080 is unreachable (ConnectError: [Errno 111] Connection refused)"
    )
    assert "gave up on read job j1 after 6 tries" in message


def test_backoff_is_capped_and_honours_retry_after(sleeps: list[float]) -> None:
    busy = httpx.Response(429, json={"title": "Too Many Requests", "detail": "slow down"}, headers={"retry-after": "7"})
    script = Script(*([busy] * 7), httpx.Response(200, json=job_view()))
    hook_for(script, retry_limit=7, max_retry_delay=30.0).get_job("j1")
    assert sleeps == [7.0, 7.0, 7.0, 8.0, 16.0, 30.0, 30.0]


def test_a_proxys_502_page_is_transient_and_named_when_it_persists(sleeps: list[float]) -> None:
    script = Script(httpx.Response(502, text="<html>Bad Gateway</html>", headers={"content-type": "text/html"}))
    with pytest.raises(SluiceApiError) as caught:
        hook_for(script, retry_limit=2).get_job("j1")
    assert len(script.requests) == 3
    assert str(caught.value) == "502 Bad Gateway: the answer is not a Sluice problem detail: <html>Bad Gateway</html>"


def test_a_503_whose_body_is_not_json_is_still_retried(sleeps: list[float]) -> None:
    # The generated client parses every documented status as JSON; a proxy's page breaks that.
    script = Script(
        httpx.Response(503, text="<html>maintenance</html>", headers={"content-type": "text/html"}),
        httpx.Response(200, json=job_view()),
    )
    assert hook_for(script).get_job("j1")["id"] == "j1"
    assert sleeps == [1.0]


def test_a_retried_submit_keeps_its_idempotency_key(sleeps: list[float]) -> None:
    # The first try's 201 is lost (the connection drops); the retry replays the same job.
    script = Script(
        httpx.ReadError("connection reset by peer"),
        problem(503, "Service Unavailable", "Redis is unavailable"),
        httpx.Response(200, json=job_view()),
    )
    submitted = hook_for(script).submit_job("meter-by-status", {"site": "site-007"})
    keys = {request.headers["idempotency-key"] for request in script.requests}
    assert len(script.requests) == 3
    assert len(keys) == 1
    assert keys.pop().startswith("sluice-hook:")
    assert submitted.created is False


def test_a_given_idempotency_key_is_reused_across_retries(sleeps: list[float]) -> None:
    script = Script(httpx.ConnectTimeout("timed out"), httpx.Response(201, json=job_view()))
    hook_for(script).submit_job("p", {}, idempotency_key="airflow:dag:task:run:abc")
    assert [request.headers["idempotency-key"] for request in script.requests] == ["airflow:dag:task:run:abc"] * 2


def test_a_tls_verification_failure_is_not_retried(sleeps: list[float]) -> None:
    import ssl

    error = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    error.__cause__ = ssl.SSLCertVerificationError("certificate verify failed")
    with pytest.raises(SluiceUnreachable, match='set "verify" in the connection extra'):
        hook_for(Script(error)).get_job("j1")
    assert sleeps == []


def test_async_get_job_retries_with_asyncio_sleep(sleeps: list[float]) -> None:
    script = Script(
        httpx.ConnectError("[Errno 111] Connection refused"), httpx.Response(200, json=job_view(state="running"))
    )

    async def run() -> dict:
        hook = hook_for(script)
        try:
            return await hook.async_get_job("j1")
        finally:
            await hook.aclose()

    assert asyncio.run(run())["state"] == "running"
    assert sleeps == [1.0]
    assert script.requests[-1].headers["authorization"] == f"Bearer {API_KEY}"


# ------------------------------------------------------------------------- cancel and retry


def test_cancelling_an_ended_job_is_not_an_error() -> None:
    script = Script(problem(409, "Conflict", "job j1 is already succeeded"))
    hook_for(script).cancel_job("j1")
    assert (script.requests[0].method, script.requests[0].url.path) == ("POST", "/v1/jobs/j1/cancel")


def test_cancelling_an_unknown_job_is_an_error() -> None:
    with pytest.raises(SluiceRequestRejected, match="^404 Not found"):
        hook_for(Script(problem(404, "Not found", 'job "j9" does not exist'))).cancel_job("j9")


def test_a_retry_that_already_went_through_returns_the_requeued_job(sleeps: list[float]) -> None:
    script = Script(
        httpx.ReadError("connection reset by peer"),
        problem(409, "Conflict", "job j1 is queued; only failed or cancelled jobs can be retried"),
        httpx.Response(200, json=job_view(state="queued", attempt=2)),
    )
    assert hook_for(script).retry_job("j1")["state"] == "queued"


def test_retrying_a_succeeded_job_is_refused() -> None:
    script = Script(
        problem(409, "Conflict", "job j1 is succeeded; only failed or cancelled jobs can be retried"),
        httpx.Response(200, json=job_view(state="succeeded")),
    )
    with pytest.raises(SluiceRequestRejected, match="only failed or cancelled"):
        hook_for(script).retry_job("j1")


# ------------------------------------------------------------------------------ connection


@pytest.mark.parametrize(
    ("conn", "base_url"),
    [
        ({"host": "sluice.internal"}, "https://sluice.internal"),
        ({"host": "sluice.internal", "port": 8443}, "https://sluice.internal:8443"),
        ({"host": "http://127.0.0.1:4321/"}, "http://127.0.0.1:4321"),
        ({"host": "https://gw.example.com/sluice"}, "https://gw.example.com/sluice"),
    ],
)
def test_the_base_url_comes_from_host_and_port(monkeypatch: pytest.MonkeyPatch, conn: dict, base_url: str) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SLUICE_URL", json.dumps({"conn_type": "sluice", "password": API_KEY, **conn}))
    assert SluiceHook(sluice_conn_id="sluice_url").base_url == base_url


def test_a_base_url_with_a_path_prefix_keeps_it() -> None:
    script = Script(httpx.Response(200, json=job_view()))
    hook = hook_for(script)
    hook._settings = hook._settings_from(
        type(
            "Conn", (), {"host": "https://gw.example.com/sluice", "port": None, "password": API_KEY, "extra_dejson": {}}
        )()
    )
    hook.get_job("j1")
    assert str(script.requests[0].url) == "https://gw.example.com/sluice/v1/jobs/j1"


@pytest.mark.parametrize(
    ("uri", "base_url"),
    [
        ("sluice://:sk-test-0123456789abcdef@sluice.internal:8080/api", "https://sluice.internal:8080/api"),
        ("sluice://:sk-test-0123456789abcdef@sluice.internal/gw/sluice/", "https://sluice.internal/gw/sluice"),
        ("sluice://:sk-test-0123456789abcdef@sluice.internal:8080", "https://sluice.internal:8080"),
        # A host that carries a path of its own keeps it.
        (
            "sluice://:sk-test-0123456789abcdef@https%3A%2F%2Fgw.example.com%2Fsluice/api",
            "https://gw.example.com/sluice",
        ),
    ],
)
def test_a_uri_connections_path_is_the_base_path(monkeypatch: pytest.MonkeyPatch, uri: str, base_url: str) -> None:
    # AIRFLOW_CONN_..._URI form: the URI's path lands in the connection's schema.
    monkeypatch.setenv("AIRFLOW_CONN_SLUICE_URI", uri)
    script = Script(httpx.Response(200, json=job_view()))
    hook = SluiceHook(sluice_conn_id="sluice_uri", transport=httpx.MockTransport(script))
    assert hook.base_url == base_url
    hook.get_job("j1")
    assert str(script.requests[0].url) == f"{base_url}/v1/jobs/j1"


@pytest.mark.parametrize(
    ("conn", "base_url"),
    [
        ({"host": "sluice.internal", "port": 8080, "schema": "api"}, "https://sluice.internal:8080/api"),
        # Airflow's HTTP connections keep the scheme in `schema`: that works here too.
        ({"host": "sluice.internal", "port": 8080, "schema": "http"}, "http://sluice.internal:8080"),
        ({"host": "https://sluice.internal", "schema": "http"}, "https://sluice.internal"),
    ],
)
def test_a_json_connections_schema_is_the_base_path_or_the_scheme(
    monkeypatch: pytest.MonkeyPatch, conn: dict, base_url: str
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SLUICE_SCHEMA", json.dumps({"conn_type": "sluice", "password": API_KEY, **conn}))
    assert SluiceHook(sluice_conn_id="sluice_schema").base_url == base_url


@pytest.mark.parametrize("timeout", ["30s", "", "none", 0, -5, "nan", True])
def test_a_timeout_that_is_not_a_number_of_seconds_names_the_connection_and_the_field(
    monkeypatch: pytest.MonkeyPatch, timeout: object
) -> None:
    conn = {"conn_type": "sluice", "host": "sluice.internal", "password": API_KEY, "extra": {"timeout": timeout}}
    monkeypatch.setenv("AIRFLOW_CONN_SLUICE_BAD_TIMEOUT", json.dumps(conn))
    if timeout == "":  # an empty field is no setting: the default
        assert SluiceHook(sluice_conn_id="sluice_bad_timeout")._load_settings().timeout == 30.0
        return
    with pytest.raises(AirflowException) as caught:
        SluiceHook(sluice_conn_id="sluice_bad_timeout").get_job("j1")
    assert str(caught.value) == (
        "Airflow connection 'sluice_bad_timeout': its extra field \"timeout\" must be a number of seconds "
        f"more than 0 (e.g. 30), not {timeout!r}"
    )


def test_tls_and_timeout_settings_come_from_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_SLUICE_TLS",
        json.dumps(
            {
                "conn_type": "sluice",
                "host": "sluice.internal",
                "password": API_KEY,
                "extra": {"verify": False, "timeout": 5},
            }
        ),
    )
    settings = SluiceHook(sluice_conn_id="sluice_tls")._load_settings()
    assert (settings.verify, settings.timeout) == (False, 5.0)
    monkeypatch.setenv(
        "AIRFLOW_CONN_SLUICE_TLS",
        json.dumps(
            {"conn_type": "sluice", "host": "sluice.internal", "password": API_KEY, "extra": {"verify": "/etc/ca.pem"}}
        ),
    )
    assert SluiceHook(sluice_conn_id="sluice_tls")._load_settings().verify == "/etc/ca.pem"


def test_a_connection_without_an_api_key_says_where_it_goes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SLUICE_NOKEY", json.dumps({"conn_type": "sluice", "host": "sluice.internal"}))
    with pytest.raises(Exception, match="'sluice_nokey' has no API key: put Sluice's API key in its password"):
        SluiceHook(sluice_conn_id="sluice_nokey").get_job("j1")


# ----------------------------------------------------------------------------- the API key


def test_the_api_key_never_reaches_a_message_or_a_log(
    sleeps: list[float], caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture
) -> None:
    def echo_key(request: httpx.Request) -> httpx.Response:
        # A misbehaving server or proxy that repeats the request's credentials back.
        return problem(401, "Unauthorized", f"bad credentials: {request.headers['authorization']}")

    def echo_key_transient(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text=f"upstream refused {request.headers['authorization']}")

    messages: list[str] = []
    with caplog.at_level(logging.DEBUG):
        for script in (Script(echo_key), Script(echo_key_transient), Script(httpx.ConnectError(f"refused {API_KEY}"))):
            with pytest.raises(Exception) as caught:
                hook_for(script, retry_limit=1).get_job("j1")
            messages.append(str(caught.value))
        ok, message = hook_for(Script(echo_key)).test_connection()
        messages.append(message)
    assert not ok
    assert "401 Unauthorized: bad credentials: Bearer ***" in messages[0]
    log = "\n".join(logged(capsys))
    assert "retrying in 1 s" in log  # the transient case did log
    for text in [*messages, caplog.text, log]:
        assert API_KEY not in text

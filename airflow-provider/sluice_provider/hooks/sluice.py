"""SluiceHook: the one place where the provider talks to Sluice.

Everything else (operator, sensor, triggers, links) goes through this hook; only this module
imports the generated client (`sluice_provider.api_client`). The hook turns the connection into
an authenticated client, calls the generated operations, and turns every answer into either a
plain dict (camelCase keys, exactly as the API sends them) or one of the exceptions of
`sluice_provider.exceptions`, carrying Sluice's problem detail.

Transient failures (no answer: connection refused or reset, timeouts; or "try later": 429, 502,
503, 504) are retried with exponential backoff, one log line per retry ("Sluice unreachable
(...)", or "Sluice answered 503 ..."). A submit that is retried keeps its Idempotency-Key, so a
lost 201 cannot create a second job.

The connection (type ``sluice``):
    host      Sluice's base URL, e.g. ``https://sluice.internal:8080`` (no scheme means https)
    port      optional, when the host names none
    schema    optional: the base path when the host carries none (a URI's path:
              ``sluice://:KEY@sluice.internal:8080/api``); ``http`` or ``https`` there is the
              scheme instead, as in Airflow's HTTP connections
    password  the API key
    extra     ``{"verify": true | false | "/path/to/ca.pem", "ca_bundle": "/path/to/ca.pem",
              "timeout": 30}`` (seconds per request, more than 0)
"""

from __future__ import annotations

import asyncio
import email.utils
import itertools
import json
import os
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowException

from sluice_provider.api_client import AuthenticatedClient
from sluice_provider.api_client.api.jobs import (
    cancel_job,
    get_job,
    get_job_logs,
    list_jobs,
    retry_job,
    submit_job,
)
from sluice_provider.api_client.models.list_jobs_state import ListJobsState
from sluice_provider.api_client.models.problem import Problem
from sluice_provider.api_client.models.submit_request import SubmitRequest
from sluice_provider.api_client.types import UNSET, Response
from sluice_provider.exceptions import SluiceApiError, SluiceRequestRejected, SluiceUnreachable

#: Answers that mean "try again later".
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
#: Answers that no retry can change: the task should fail at once.
REJECTED_STATUSES = frozenset({400, 401, 403, 404, 409, 413, 415, 422})
#: States a job never leaves.
ENDED_STATES = frozenset({"succeeded", "failed", "cancelled"})

_EXTRA_PREFIX = "extra__sluice__"
_SNIPPET = 300


@dataclass(frozen=True)
class SubmittedJob:
    """The answer to a submit: the job, and whether this request created it (201) or an
    earlier one with the same Idempotency-Key did (200, a replay)."""

    job: dict[str, Any]
    created: bool

    @property
    def job_id(self) -> str:
        return str(self.job["id"])


@dataclass(frozen=True)
class _Settings:
    base_url: str
    api_key: str
    verify: bool | str
    timeout: float


class _Transient(Exception):
    """A failure worth another try; `error` is Sluice's own answer when there was one."""

    def __init__(self, reason: str, retry_after: float | None = None, error: SluiceApiError | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.error = error

    def describe(self) -> str:
        """For a log line: what Sluice answered, or that it did not."""
        return f"Sluice answered {self.reason}" if self.error is not None else f"Sluice unreachable ({self.reason})"


class SluiceHook(BaseHook):
    """Talks to one Sluice through the connection ``sluice_conn_id``.

    :param sluice_conn_id: an Airflow connection of type ``sluice``.
    :param retry_limit: retries of a transient failure after the first try (0: none).
    :param retry_delay: seconds before the first retry; each later one waits twice as long.
    :param max_retry_delay: the longest wait between two tries, in seconds.
    :param transport: an httpx transport to send requests through (tests); None for the network.
    """

    conn_name_attr = "sluice_conn_id"
    default_conn_name = "sluice_default"
    conn_type = "sluice"
    hook_name = "Sluice"

    def __init__(
        self,
        sluice_conn_id: str = default_conn_name,
        retry_limit: int = 5,
        retry_delay: float = 1.0,
        max_retry_delay: float = 30.0,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if retry_limit < 0:
            raise ValueError("retry_limit must be 0 or more")
        self.sluice_conn_id = sluice_conn_id
        self.retry_limit = retry_limit
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self._transport = transport
        self._settings: _Settings | None = None
        self._client: AuthenticatedClient | None = None
        self._async_client: AuthenticatedClient | None = None
        # The last answer the client received: the generated code raises while parsing a
        # body that is not what the API documents (a proxy's HTML page), and loses it.
        self._last_response: httpx.Response | None = None

    # ----------------------------------------------------------------------------- connection

    def _settings_from(self, conn: Any) -> _Settings:
        host = (conn.host or "").strip()
        if not host:
            raise AirflowException(
                f"Airflow connection {self.sluice_conn_id!r} has no host: set it to Sluice's base URL, "
                "e.g. https://sluice.internal:8080"
            )
        schema = (getattr(conn, "schema", None) or "").strip().strip("/")
        if "://" not in host:
            # Airflow's HTTP connections keep the scheme in `schema`; anything else there is a path.
            scheme = schema.lower() if schema.lower() in ("http", "https") else "https"
            host = f"{scheme}://{host}"
        if schema.lower() in ("http", "https"):
            schema = ""
        parts = urlsplit(host)
        netloc = parts.netloc
        if conn.port and parts.port is None:
            netloc = f"{netloc}:{conn.port}"
        # A URI's path lands in `schema` (sluice://:KEY@host:8080/api): the base path, unless the
        # host carries one itself.
        path = parts.path.rstrip("/") or (f"/{schema}" if schema else "")
        base_url = urlunsplit((parts.scheme, netloc, path, "", ""))
        api_key = conn.password or ""
        if not api_key:
            raise AirflowException(
                f"Airflow connection {self.sluice_conn_id!r} has no API key: put Sluice's API key in its password"
            )
        extra = conn.extra_dejson or {}

        def setting(name: str, default: Any) -> Any:
            for key in (name, f"{_EXTRA_PREFIX}{name}"):
                if extra.get(key) not in (None, ""):
                    return extra[key]
            return default

        return _Settings(
            base_url=base_url,
            api_key=api_key,
            verify=_verify_setting(setting("verify", True), setting("ca_bundle", None)),
            timeout=self._timeout_setting(setting("timeout", 30)),
        )

    def _timeout_setting(self, value: Any) -> float:
        # A bare ValueError here would crash a trigger in the triggerer: say which field is wrong.
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            seconds = None
        if isinstance(value, bool) or seconds is None or not seconds > 0 or seconds == float("inf"):
            raise AirflowException(
                f'Airflow connection {self.sluice_conn_id!r}: its extra field "timeout" must be a number of '
                f"seconds more than 0 (e.g. 30), not {value!r}"
            )
        return seconds

    def _load_settings(self) -> _Settings:
        if self._settings is None:
            self._settings = self._settings_from(self.get_connection(self.sluice_conn_id))
        return self._settings

    async def _aload_settings(self) -> _Settings:
        if self._settings is None:
            self._settings = self._settings_from(await self.aget_connection(self.sluice_conn_id))
        return self._settings

    @property
    def base_url(self) -> str:
        """Sluice's base URL, from the connection (no trailing slash)."""
        return self._load_settings().base_url

    def _build_client(self, settings: _Settings, on_response: Callable[[httpx.Response], Any]) -> AuthenticatedClient:
        httpx_args: dict[str, Any] = {"event_hooks": {"response": [on_response]}}
        if self._transport is not None:
            httpx_args["transport"] = self._transport
        return AuthenticatedClient(
            base_url=settings.base_url,
            token=settings.api_key,
            verify_ssl=_ssl_verify(settings.verify),
            timeout=httpx.Timeout(settings.timeout),
            raise_on_unexpected_status=False,
            httpx_args=httpx_args,
        )

    # Event hooks see every response before its body is read; they only keep a reference (the
    # body is read by the time the generated code parses it, and an event stream never ends).
    def _remember(self, response: httpx.Response) -> None:
        self._last_response = response

    async def _aremember(self, response: httpx.Response) -> None:
        self._last_response = response

    def api_client(self) -> AuthenticatedClient:
        """The generated client, authenticated with the connection's API key (for synchronous calls)."""
        if self._client is None:
            self._client = self._build_client(self._load_settings(), self._remember)
        return self._client

    async def async_api_client(self) -> AuthenticatedClient:
        """The generated client for the async methods (its own httpx.AsyncClient)."""
        if self._async_client is None:
            self._async_client = self._build_client(await self._aload_settings(), self._aremember)
        return self._async_client

    def get_conn(self) -> AuthenticatedClient:
        return self.api_client()

    def close(self) -> None:
        if self._client is not None:
            self._client.get_httpx_client().close()
            self._client = None

    async def aclose(self) -> None:
        if self._async_client is not None:
            await self._async_client.get_async_httpx_client().aclose()
            self._async_client = None

    # ------------------------------------------------------------------------------ operations

    def submit_job(
        self,
        pipeline: str,
        parameters: Mapping[str, Any] | None = None,
        inputs: Sequence[str] | None = None,
        priority: int | None = None,
        labels: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> SubmittedJob:
        """Submits a job (POST /v1/jobs).

        Without an ``idempotency_key`` the hook makes one for this call, so that its own retries
        stay safe; pass one derived from what the job is for to make separate calls safe too.
        """
        body = _submit_body(pipeline, parameters, inputs, priority, labels)
        key = idempotency_key or f"sluice-hook:{uuid.uuid4().hex}"
        response = self._call(
            f"submit a {pipeline} job",
            lambda client: submit_job.sync_detailed(client=client, body=body, idempotency_key=key),
        )
        return SubmittedJob(job=self._json(response), created=response.status_code == HTTPStatus.CREATED)

    def get_job(self, job_id: str) -> dict[str, Any]:
        """The job as Sluice shows it (GET /v1/jobs/{id}): a JobView dict."""
        return self._json(self._call(f"read job {job_id}", lambda client: get_job.sync_detailed(job_id, client=client)))

    def list_jobs(self, pipeline: str | None = None, state: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Up to ``limit`` jobs, newest first, optionally of one pipeline and/or in one state."""
        page = self._json(self._call("list jobs", _list_call(pipeline, state, limit, None)))
        return list(page.get("items", []))

    def iter_jobs(
        self, pipeline: str | None = None, state: str | None = None, page_size: int = 50
    ) -> Iterator[dict[str, Any]]:
        """Every job that matches, newest first, a page at a time (stop iterating to stop asking)."""
        cursor: str | None = None
        while True:
            page = self._json(self._call("list jobs", _list_call(pipeline, state, page_size, cursor)))
            yield from page.get("items", [])
            cursor = page.get("nextCursor")
            if not cursor:
                return

    def cancel_job(self, job_id: str) -> None:
        """Asks Sluice to cancel the job; a job that has already ended is left as it is."""
        try:
            self._call(f"cancel job {job_id}", lambda client: cancel_job.sync_detailed(job_id, client=client))
        except SluiceRequestRejected as error:
            if error.status != HTTPStatus.CONFLICT:
                raise
            self.log.info("Sluice job %s had already ended: %s", job_id, error.detail)

    def retry_job(self, job_id: str) -> dict[str, Any]:
        """Asks Sluice to run a failed or cancelled job again; returns the job, queued again."""
        try:
            return self._json(
                self._call(f"retry job {job_id}", lambda client: retry_job.sync_detailed(job_id, client=client))
            )
        except SluiceRequestRejected as error:
            if error.status != HTTPStatus.CONFLICT:
                raise
            # A retried POST whose first try went through finds the job already running again.
            job = self.get_job(job_id)
            if job.get("state") in ENDED_STATES:
                raise
            return job

    def job_log_tail(self, job_id: str, lines: int = 50) -> str:
        """The last ``lines`` lines of the job's driver log."""
        response = self._call(
            f"read the log of job {job_id}",
            lambda client: get_job_logs.sync_detailed(job_id, client=client, tail=lines),
        )
        return response.content.decode("utf-8", errors="replace")

    def test_connection(self) -> tuple[bool, str]:
        """Asks Sluice for one job: proves the URL, the TLS settings and the API key."""
        try:
            self._call("list jobs", _list_call(None, None, 1, None), retry_limit=0)
        except (AirflowException, ValueError) as error:
            return False, str(error)
        return True, f"Sluice at {self.base_url} answered and accepted the API key"

    # ------------------------------------------------------------------------ async operations

    async def async_get_job(self, job_id: str) -> dict[str, Any]:
        response = await self._acall(
            f"read job {job_id}", lambda client: get_job.asyncio_detailed(job_id, client=client)
        )
        return self._json(response)

    async def async_list_jobs(
        self, pipeline: str | None = None, state: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        response = await self._acall("list jobs", _async_list_call(pipeline, state, limit))
        return list(self._json(response).get("items", []))

    async def async_cancel_job(self, job_id: str) -> None:
        try:
            await self._acall(f"cancel job {job_id}", lambda client: cancel_job.asyncio_detailed(job_id, client=client))
        except SluiceRequestRejected as error:
            if error.status != HTTPStatus.CONFLICT:
                raise
            self.log.info("Sluice job %s had already ended: %s", job_id, error.detail)

    # -------------------------------------------------------------------------------- plumbing

    def _call(
        self, action: str, operation: Callable[[AuthenticatedClient], Response[Any]], retry_limit: int | None = None
    ) -> Response[Any]:
        limit = self.retry_limit if retry_limit is None else retry_limit
        started = time.monotonic()
        for attempt in itertools.count():
            client = self.api_client()
            try:
                return self._checked(self._guarded(operation, client))
            except _Transient as transient:
                delay = self._delay_before_retry(attempt, limit, transient)
                if delay is None:
                    raise self._gave_up(action, transient, attempt + 1, time.monotonic() - started) from None
                self.log.warning("%s; retrying in %s s", transient.describe(), _seconds(delay))
                time.sleep(delay)
        raise AssertionError("unreachable")

    async def _acall(
        self, action: str, operation: Callable[[AuthenticatedClient], Awaitable[Response[Any]]]
    ) -> Response[Any]:
        started = time.monotonic()
        for attempt in itertools.count():
            client = await self.async_api_client()
            try:
                return self._checked(await self._aguarded(operation(client)))
            except _Transient as transient:
                delay = self._delay_before_retry(attempt, self.retry_limit, transient)
                if delay is None:
                    raise self._gave_up(action, transient, attempt + 1, time.monotonic() - started) from None
                self.log.warning("%s; retrying in %s s", transient.describe(), _seconds(delay))
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    def _guarded(
        self, operation: Callable[[AuthenticatedClient], Response[Any]], client: AuthenticatedClient
    ) -> Response[Any]:
        self._last_response = None
        try:
            return operation(client)
        except httpx.TransportError as error:
            raise self._transport_failure(error) from None
        except (ValueError, KeyError, TypeError) as error:
            raise self._unreadable(error) from None

    async def _aguarded(self, send: Awaitable[Response[Any]]) -> Response[Any]:
        self._last_response = None
        try:
            return await send
        except httpx.TransportError as error:
            raise self._transport_failure(error) from None
        except (ValueError, KeyError, TypeError) as error:
            raise self._unreadable(error) from None

    def _checked(self, response: Response[Any]) -> Response[Any]:
        status = int(response.status_code)
        if status < 400:
            return response
        error = self._api_error(status, response.content, response.parsed)
        if status in TRANSIENT_STATUSES:
            raise _Transient(str(error).splitlines()[0], _retry_after(response.headers), error)
        raise error

    def _api_error(self, status: int, content: bytes, parsed: Any = None) -> SluiceApiError:
        kind = SluiceRequestRejected if status in REJECTED_STATUSES else SluiceApiError
        problem = parsed.to_dict() if isinstance(parsed, Problem) else _problem_dict(content)
        if problem is not None:
            return kind(
                status=status,
                title=self._scrub(str(problem.get("title") or _phrase(status))),
                detail=self._scrub(str(problem.get("detail") or "")),
                errors=[
                    {"path": error.get("path", ""), "message": self._scrub(str(error.get("message", "")))}
                    for error in problem.get("errors") or []
                    if isinstance(error, Mapping)
                ],
                request_id=problem.get("requestId"),
                type=problem.get("type"),
            )
        text = self._scrub(content.decode("utf-8", errors="replace").strip())
        detail = f"the answer is not a Sluice problem detail: {_snippet(text)}" if text else "no details in the answer"
        return kind(status=status, title=_phrase(status), detail=detail)

    def _transport_failure(self, error: httpx.TransportError) -> Exception:
        reason = self._scrub(_describe(error))
        if isinstance(error, (httpx.UnsupportedProtocol, httpx.LocalProtocolError)) or _tls_verification_failed(error):
            hint = ""
            if _tls_verification_failed(error):
                hint = ' (set "verify" in the connection extra to the CA bundle that signed its certificate)'
            return SluiceUnreachable(f"cannot reach Sluice at {self._url_for_messages()}: {reason}{hint}")
        return _Transient(reason)

    def _unreadable(self, error: Exception) -> Exception:
        response = self._last_response
        if response is None:
            return SluiceApiError(
                status=0, title="Unreadable answer", detail=self._scrub(f"{type(error).__name__}: {error}")
            )
        status = response.status_code
        if status in TRANSIENT_STATUSES:
            api_error = self._api_error(status, response.content)
            return _Transient(str(api_error).splitlines()[0], _retry_after(response.headers), api_error)
        if status >= 400:
            return self._api_error(status, response.content)
        text = self._scrub(response.content.decode("utf-8", errors="replace").strip())
        return SluiceApiError(
            status=status,
            title=_phrase(status),
            detail=f"the answer from {response.request.url.copy_with(query=None)} is not one Sluice sends "
            f"({type(error).__name__}: {self._scrub(str(error))}): {_snippet(text)}",
        )

    def _delay_before_retry(self, attempt: int, limit: int, transient: _Transient) -> float | None:
        if attempt >= limit:
            return None
        delay = min(self.retry_delay * (2**attempt), self.max_retry_delay)
        if transient.retry_after is not None:
            delay = min(max(delay, transient.retry_after), self.max_retry_delay)
        return delay

    def _gave_up(self, action: str, transient: _Transient, attempts: int, elapsed: float) -> Exception:
        tries = f"{attempts} {'try' if attempts == 1 else 'tries'} over {elapsed:.0f} s"
        if transient.error is not None:
            self.log.error("Sluice still answers %s; gave up on %s after %s", transient.reason, action, tries)
            return transient.error
        where = self._url_for_messages()
        return SluiceUnreachable(
            f"Sluice at {where} is unreachable ({transient.reason}); gave up on {action} after {tries}"
        )

    def _url_for_messages(self) -> str:
        return self._settings.base_url if self._settings is not None else f"connection {self.sluice_conn_id!r}"

    def _scrub(self, text: str) -> str:
        # Belt and braces: nothing Sluice or a proxy echoes may carry the key into a log.
        key = self._settings.api_key if self._settings is not None else ""
        return text.replace(key, "***") if len(key) >= 8 else text

    def _json(self, response: Response[Any]) -> dict[str, Any]:
        try:
            value = json.loads(response.content)
        except ValueError as error:
            raise self._unreadable(error) from None
        if not isinstance(value, dict):
            text = self._scrub(response.content.decode("utf-8", "replace"))
            raise SluiceApiError(
                status=int(response.status_code),
                title=_phrase(int(response.status_code)),
                detail=f"expected a JSON object, got: {_snippet(text)}",
            )
        return value


# ------------------------------------------------------------------------------------ helpers


def submit_body(
    pipeline: str,
    parameters: Mapping[str, Any] | None = None,
    inputs: Sequence[str] | None = None,
    priority: int | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The body `SluiceHook.submit_job` sends for these arguments (POST /v1/jobs), as plain JSON
    values: what Sluice compares a replayed Idempotency-Key's request on."""
    body: dict[str, Any] = {"pipeline": pipeline, "parameters": dict(parameters or {})}
    if inputs is not None:
        body["inputs"] = [str(item) for item in inputs]
    if priority is not None:
        body["priority"] = int(priority)
    if labels is not None:
        body["labels"] = {str(key): str(value) for key, value in labels.items()}
    return body


def _submit_body(
    pipeline: str,
    parameters: Mapping[str, Any] | None,
    inputs: Sequence[str] | None,
    priority: int | None,
    labels: Mapping[str, str] | None,
) -> SubmitRequest:
    return SubmitRequest.from_dict(submit_body(pipeline, parameters, inputs, priority, labels))


def _list_call(
    pipeline: str | None, state: str | None, limit: int, cursor: str | None
) -> Callable[[AuthenticatedClient], Response[Any]]:
    state_filter = ListJobsState(state) if state else UNSET
    return lambda client: list_jobs.sync_detailed(
        client=client, pipeline=pipeline or UNSET, state=state_filter, limit=limit, cursor=cursor or UNSET
    )


def _async_list_call(
    pipeline: str | None, state: str | None, limit: int
) -> Callable[[AuthenticatedClient], Awaitable[Response[Any]]]:
    state_filter = ListJobsState(state) if state else UNSET
    return lambda client: list_jobs.asyncio_detailed(
        client=client, pipeline=pipeline or UNSET, state=state_filter, limit=limit
    )


def _verify_setting(verify: Any, ca_bundle: Any) -> bool | str:
    if isinstance(verify, str):
        lowered = verify.strip().lower()
        if lowered in ("true", "yes", "1", ""):
            verify = True
        elif lowered in ("false", "no", "0"):
            verify = False
        else:
            return verify.strip()
    if verify is False:
        return False
    return str(ca_bundle) if ca_bundle else True


def _ssl_verify(verify: bool | str) -> bool | ssl.SSLContext:
    if isinstance(verify, bool):
        return verify
    if os.path.isdir(verify):
        return ssl.create_default_context(capath=verify)
    return ssl.create_default_context(cafile=verify)


def _problem_dict(content: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(content)
    except ValueError:
        return None
    if isinstance(value, dict) and ("title" in value or "detail" in value):
        return value
    return None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _describe(error: httpx.TransportError) -> str:
    cause = error.__cause__ or error.__context__
    text = str(error) or (str(cause) if cause else "") or "no details"
    return f"{type(error).__name__}: {text}"


def _tls_verification_failed(error: httpx.TransportError) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _SNIPPET else f"{flat[:_SNIPPET]}…"


def _seconds(delay: float) -> str:
    return f"{delay:g}"

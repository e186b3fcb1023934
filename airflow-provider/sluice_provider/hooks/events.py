"""Follows Sluice's event stream, ``GET /v1/events`` (server-sent events), for triggers.

``SluiceEventStream`` yields each event (``SluiceEvent``: stream id, type, the event's JSON) and
each ``event: gap`` (``EventGap``: events after the resume point were trimmed before they could
be read), and goes on for as long as it is iterated:

- a dropped connection, a Sluice restart, a ``429`` or a ``5xx`` is retried with exponential
  backoff, resuming with ``Last-Event-ID`` after the last event yielded, so nothing is skipped
  and nothing is yielded twice (ids only go forward; an id not after the last one is dropped);
- an answer no retry can fix (``401``, ``403``, ``422``, any other ``4xx``) raises
  ``SluiceRequestRejected`` with Sluice's problem detail;
- a connection silent for longer than ``read_timeout`` (Sluice sends a comment every 15 s) is
  taken as dead and reopened.

It reads through the httpx client of the generated API client, built by ``SluiceHook`` from the
connection (``stream_client``), streaming, since the generated operation reads the whole body.
The parsing is plain functions and a small line parser (``SseParser``), tested on their own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

import httpx

from sluice_provider.api_client.client import AuthenticatedClient
from sluice_provider.exceptions import SluiceApiError, SluiceRequestRejected

log = logging.getLogger(__name__)

EVENTS_PATH = "/v1/events"

# Sluice's stream ids are Redis stream ids: "<milliseconds>-<sequence>".
_EVENT_ID = re.compile(r"^(\d+)-(\d+)$")

# Statuses that say "try again later"; any other error status is an answer to give up on.
_RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class SseMessage:
    """One dispatched server-sent message.

    ``id`` is the message's own ``id:`` field, or None when the message has none (Sluice's gap
    message deliberately has none, so that a client's resume point does not move).
    """

    event: str
    data: str
    id: str | None = None


@dataclass
class SseParser:
    """The line-level part of the text/event-stream format (WHATWG HTML, "server-sent events").

    Feed it the body's lines without their line ends; it returns a message when a blank line
    ends one. Comments (lines starting with ``:``) and unknown fields are ignored, ``data:``
    lines join with newlines, a ``retry:`` of digits updates ``retry_ms``.
    """

    retry_ms: int | None = None
    _event: str = ""
    _data: list[str] = field(default_factory=list)
    _id: str | None = None

    def feed(self, line: str) -> SseMessage | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            # The format ignores an id holding NUL (it could not be sent back in a header).
            if "\0" not in value:
                self._id = value
        elif name == "retry" and value.isdigit():
            self.retry_ms = int(value)
        return None

    def _dispatch(self) -> SseMessage | None:
        event, data, message_id = self._event, self._data, self._id
        self._event, self._data, self._id = "", [], None
        if not data:
            # A block without data (such as Sluice's leading "retry:" block) dispatches nothing.
            return None
        return SseMessage(event=event or "message", data="\n".join(data), id=message_id)


@dataclass(frozen=True)
class SluiceEvent:
    """One event of Sluice's stream: ``data`` is the SluiceEvent JSON (jobId, pipeline, state, ...)."""

    id: str
    type: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class EventGap:
    """Events after ``after`` (the resume point asked for) were trimmed; the stream goes on from ``oldest``."""

    after: str | None
    oldest: str | None


def event_id_key(event_id: str) -> tuple[int, int]:
    """The order of a stream id, for comparing two ids; ValueError when it is not one."""
    match = _EVENT_ID.match(event_id)
    if match is None:
        raise ValueError(f"not a Sluice event id: {event_id!r} (expected <milliseconds>-<sequence>)")
    return int(match.group(1)), int(match.group(2))


def is_event_id(value: str) -> bool:
    return _EVENT_ID.match(value) is not None


def parse_message(message: SseMessage) -> SluiceEvent | EventGap | None:
    """A message as Sluice means it, or None for one that is not an event (logged)."""
    try:
        data = json.loads(message.data)
    except ValueError:
        log.warning("Sluice sent an event whose data is not JSON; skipped (event %s, id %s)", message.event, message.id)
        return None
    if not isinstance(data, dict):
        log.warning(
            "Sluice sent an event whose data is not an object; skipped (event %s, id %s)", message.event, message.id
        )
        return None
    if message.event == "gap":
        return EventGap(after=_text_or_none(data.get("after")), oldest=_text_or_none(data.get("oldest")))
    if message.id is None or not is_event_id(message.id):
        log.warning("Sluice sent an event without a valid id; skipped (event %s, id %s)", message.event, message.id)
        return None
    return SluiceEvent(id=message.id, type=message.event, data=data)


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def rejection_of(response: httpx.Response) -> SluiceApiError:
    """The error Sluice's problem detail describes (a non-JSON body still gives status and text)."""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"detail": response.text[:500]}
    errors = body.get("errors")
    return SluiceRequestRejected(
        status=response.status_code,
        title=str(body.get("title") or response.reason_phrase or "Error"),
        detail=str(body.get("detail") or ""),
        errors=[error for error in errors if isinstance(error, Mapping)] if isinstance(errors, list) else (),
        request_id=_text_or_none(body.get("requestId")),
        type=_text_or_none(body.get("type")),
    )


@dataclass
class Backoff:
    """Exponential delays between reconnections, with jitter so that many followers of one
    Sluice do not all come back in the same instant after it restarts."""

    initial: float = 1.0
    maximum: float = 15.0
    random: Callable[[], float] = random.random
    _failures: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.maximum, self.initial * (2**self._failures))
        self._failures += 1
        return ceiling / 2 + self.random() * ceiling / 2

    def reset(self) -> None:
        self._failures = 0


async def stream_client(sluice_conn_id: str) -> AuthenticatedClient:
    """A client of its own for one event stream, from the Airflow connection, through SluiceHook."""
    from sluice_provider.hooks.sluice import SluiceHook

    return await SluiceHook(sluice_conn_id=sluice_conn_id).async_api_client()


class _RetryLater(Exception):
    def __init__(self, reason: str, delay: float | None) -> None:
        super().__init__(reason)
        self.delay = delay


class SluiceEventStream:
    """Sluice's events matching the filters, after ``last_event_id`` (None: from now on).

    Iterate it once. ``last_event_id`` is the id of the last event yielded, where a reconnection
    resumes.
    """

    def __init__(
        self,
        client: AuthenticatedClient,
        *,
        pipeline: str | None = None,
        event_type: str | None = None,
        job: str | None = None,
        last_event_id: str | None = None,
        backoff: Backoff | None = None,
        read_timeout: float = 45.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if last_event_id is not None:
            event_id_key(last_event_id)  # a wrong resume point fails here, not at Sluice
        self._client = client
        self._params = {
            name: value
            for name, value in (("pipeline", pipeline), ("type", event_type), ("job", job))
            if value is not None
        }
        self._last_event_id = last_event_id
        self._backoff = backoff or Backoff()
        self._timeout = httpx.Timeout(connect=10.0, read=read_timeout, write=10.0, pool=10.0)
        self._sleep = sleep
        # Sluice's "retry:" hint (2 s): the wait after the server ended a stream cleanly.
        self._retry_after_end = 2.0

    @property
    def last_event_id(self) -> str | None:
        return self._last_event_id

    async def __aiter__(self) -> AsyncIterator[SluiceEvent | EventGap]:
        while True:
            try:
                # aclosing: a follower that stops iterating closes the response at once.
                async with aclosing(self._read_once()) as items:
                    async for item in items:
                        yield item
                delay = self._retry_after_end
                log.info(
                    "Sluice closed the event stream; reconnecting in %.1f s after event %s", delay, self._last_event_id
                )
            except _RetryLater as retry:
                delay = retry.delay if retry.delay is not None else self._backoff.next_delay()
                log.warning(
                    "Sluice event stream: %s; reconnecting in %.1f s after event %s", retry, delay, self._last_event_id
                )
            except httpx.TransportError as error:
                delay = self._backoff.next_delay()
                log.warning(
                    "Sluice event stream interrupted (%s: %s); reconnecting in %.1f s after event %s",
                    type(error).__name__,
                    error,
                    delay,
                    self._last_event_id,
                )
            await self._sleep(delay)

    async def _read_once(self) -> AsyncIterator[SluiceEvent | EventGap]:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self._last_event_id is not None:
            headers["Last-Event-ID"] = self._last_event_id
        http = self._client.get_async_httpx_client()
        async with http.stream(
            "GET", EVENTS_PATH, params=self._params, headers=headers, timeout=self._timeout
        ) as response:
            if response.status_code != 200:
                await response.aread()
                if response.status_code in _RETRYABLE_STATUSES:
                    raise _RetryLater(f"Sluice answered {response.status_code}", _retry_after(response))
                raise rejection_of(response)
            parser = SseParser()
            connected = False
            async for line in response.aiter_lines():
                if not connected:
                    # Sluice answers at once (a "retry:" block); only then is the backoff over.
                    self._backoff.reset()
                    connected = True
                message = parser.feed(line)
                if parser.retry_ms is not None:
                    self._retry_after_end = parser.retry_ms / 1000
                if message is None:
                    continue
                item = parse_message(message)
                if isinstance(item, SluiceEvent):
                    if self._last_event_id is not None and event_id_key(item.id) <= event_id_key(self._last_event_id):
                        continue
                    self._last_event_id = item.id
                if item is not None:
                    yield item


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return min(float(value), 60.0) if value.isdigit() else None

"""``SluiceJobEventTrigger``: Sluice's events as Airflow asset events, for an ``AssetWatcher``.

    Asset("meter_daily", watchers=[AssetWatcher(name="meter_daily_jobs",
                                                trigger=SluiceJobEventTrigger(pipeline="meter-daily"))])

gives the asset one event per job of ``meter-daily`` that succeeds (``job_states`` picks other
end states too) and, with ``landing_batches=True``, one per batch of landed files Sluice forms
for the pipeline. Each event's payload (the asset event's ``extra["payload"]``) names the job
or batch, the pipeline, the state, the time, Sluice's event id and the job's trace id.

A triggerer restart neither misses nor repeats an event (docs/adr/0017-airflow-event-trigger-cursor.md):

- The trigger runs as an ack-mode shared stream (Airflow 3.3, ``airflow.triggers.shared_stream``):
  ``SluiceEventProducer.open_stream`` follows ``GET /v1/events`` and Airflow calls its
  ``advance`` only once the asset events derived from the events were stored in the metadata
  database. ``advance`` then saves the last event id, the cursor, in an Airflow Variable
  (``sluice_events_cursor.<pipeline>.<digest of the trigger's arguments>``).
- A started trigger resumes after the saved cursor with ``Last-Event-ID``. With no cursor yet it
  starts from ``start_from`` ("now" by default) and saves that point at once, so a restart
  before the first event still resumes from it.
- Within one follow, ids only move forward (reconnections resume after the last event read).
  What is left is a restart between an asset event being stored and its cursor being saved
  (about a second): that event comes once more. Trigger code cannot read asset events back, so
  it cannot close that window; it never loses an event.

Sluice away (a restart, the network) only delays events: the follow reconnects with backoff and
resumes after the last event read. Sluice refusing the follow (401, 403, 422) or an unusable
connection logs an error and tries again after 30 s, doubling up to 10 minutes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from airflow.sdk.exceptions import AirflowException
from airflow.triggers.base import BaseEventTrigger, TriggerEvent
from airflow.triggers.shared_stream import AdvanceItem, SharedStreamProducer

from sluice_provider.hooks.events import (
    EventGap,
    SluiceEvent,
    SluiceEventStream,
    event_id_key,
    is_event_id,
    stream_client,
)

log = logging.getLogger(__name__)

JOB_STATES = ("queued", "launching", "running", "loading", "succeeded", "failed", "cancelled")
START_FROM_HELP = '"now", "earliest", a Sluice event id ("1733030000000-0") or an ISO 8601 time with a zone'

_VARIABLE_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


# --- What a trigger follows -----------------------------------------------------------------


def _start_point(start_from: str) -> str | None:
    """``start_from`` as a resume id, None for "now" (known only when the follow starts)."""
    if start_from == "now":
        return None
    if start_from == "earliest":
        return "0-0"
    if is_event_id(start_from):
        return start_from
    try:
        moment = datetime.fromisoformat(start_from)
    except ValueError:
        raise ValueError(f"start_from must be {START_FROM_HELP}, not {start_from!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"start_from {start_from!r} needs a time zone (such as +00:00 or Z)")
    return f"{int(moment.timestamp() * 1000)}-0"


@dataclass(frozen=True)
class EventSelection:
    """Which of Sluice's events a trigger turns into asset events, and where it starts."""

    sluice_conn_id: str
    pipeline: str
    job_states: tuple[str, ...]
    landing_batches: bool
    start_from: str

    @classmethod
    def create(
        cls,
        *,
        pipeline: str,
        job_states: Sequence[str] = ("succeeded",),
        landing_batches: bool = False,
        sluice_conn_id: str = "sluice_default",
        start_from: str = "now",
    ) -> EventSelection:
        if not isinstance(pipeline, str) or not pipeline:
            raise ValueError("pipeline must name a Sluice pipeline")
        if isinstance(job_states, str):
            job_states = [job_states]
        unknown = sorted(set(job_states) - set(JOB_STATES))
        if unknown:
            raise ValueError(f"job_states holds unknown states {unknown}; Sluice's job states are {list(JOB_STATES)}")
        if not job_states and not landing_batches:
            raise ValueError("nothing to follow: give job_states, or landing_batches=True")
        _start_point(start_from)
        return cls(
            sluice_conn_id=sluice_conn_id,
            pipeline=pipeline,
            # Sluice's order, each once: the same states always serialize alike (the trigger's hash).
            job_states=tuple(state for state in JOB_STATES if state in job_states),
            landing_batches=bool(landing_batches),
            start_from=start_from,
        )

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> EventSelection:
        return cls.create(**kwargs)

    def kwargs(self) -> dict[str, Any]:
        """The trigger's serialized arguments, in a fixed order (Airflow hashes them)."""
        return {
            "sluice_conn_id": self.sluice_conn_id,
            "pipeline": self.pipeline,
            "job_states": list(self.job_states),
            "landing_batches": self.landing_batches,
            "start_from": self.start_from,
        }

    def server_type_filter(self) -> str | None:
        """The ``type`` query of /v1/events: Sluice takes one type or one prefix."""
        if self.landing_batches:
            return None if self.job_states else "landing.batched"
        if len(self.job_states) == 1:
            return f"job.{self.job_states[0]}"
        return "job."

    def cursor_variable(self) -> str:
        """The Airflow Variable holding this trigger's cursor: readable, and one per set of arguments."""
        digest = hashlib.sha256(json.dumps(self.kwargs(), sort_keys=True).encode()).hexdigest()[:12]
        return f"sluice_events_cursor.{_VARIABLE_KEY_UNSAFE.sub('_', self.pipeline)[:120]}.{digest}"

    def describe(self) -> str:
        parts = [f"pipeline={self.pipeline!r}", f"job_states={list(self.job_states)}"]
        if self.landing_batches:
            parts.append("landing_batches=True")
        if self.sluice_conn_id != "sluice_default":
            parts.append(f"sluice_conn_id={self.sluice_conn_id!r}")
        return f"SluiceJobEventTrigger({', '.join(parts)})"

    def payload_of(self, followed: FollowedEvent) -> dict[str, Any] | None:
        """The asset event's payload for an event this selection wants, else None."""
        event = followed.event
        data = event.data
        if event.type.startswith("job.") and data.get("state") in self.job_states:
            return {
                "kind": "job",
                "event_id": event.id,
                "event_type": event.type,
                "pipeline": data.get("pipeline"),
                "job_id": data.get("jobId"),
                "state": data.get("state"),
                "attempt": data.get("attempt"),
                "time": data.get("time"),
                "trace_id": data.get("traceId"),
                "reason": data.get("reason"),
            }
        if self.landing_batches and event.type == "landing.batched" and followed.starts_batch:
            landing = data.get("landing") if isinstance(data.get("landing"), Mapping) else {}
            return {
                "kind": "landing_batch",
                "event_id": event.id,
                "event_type": event.type,
                "pipeline": data.get("pipeline"),
                "batch_id": landing.get("batchId"),
                "source": landing.get("source"),
                "path": landing.get("path"),
                "time": data.get("time"),
                "trace_id": data.get("traceId"),
            }
        return None


# --- The cursor -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """Where a follow resumes: after ``last_event_id``. ``batch_id`` is the landing batch of the
    last ``landing.batched`` event at or before it, so that a batch whose first event was
    delivered is not announced again by its later events."""

    last_event_id: str
    batch_id: str | None = None

    def to_json(self) -> str:
        return json.dumps({"lastEventId": self.last_event_id, "batchId": self.batch_id})

    @classmethod
    def from_json(cls, text: str) -> Cursor:
        value = json.loads(text)
        last = value.get("lastEventId") if isinstance(value, dict) else None
        if not isinstance(last, str) or not is_event_id(last):
            raise ValueError(f"not a cursor: {text!r}")
        batch = value.get("batchId")
        return cls(last_event_id=last, batch_id=batch if isinstance(batch, str) else None)

    def is_after(self, other: Cursor | None) -> bool:
        return other is None or event_id_key(self.last_event_id) > event_id_key(other.last_event_id)


class CursorStore(Protocol):
    async def load(self) -> Cursor | None: ...

    async def save(self, cursor: Cursor) -> None: ...


class VariableCursorStore:
    """The cursor in an Airflow Variable, read and written through the triggerer's supervisor.

    The Task SDK's Variable calls are synchronous; from a thread they reach the supervisor
    without blocking the triggerer's event loop.
    """

    def __init__(self, key: str, description: str) -> None:
        self.key = key
        self.description = description

    async def load(self) -> Cursor | None:
        from airflow.sdk import Variable

        text = await asyncio.to_thread(Variable.get, self.key, None)
        if text is None:
            return None
        try:
            return Cursor.from_json(text)
        except ValueError:
            # A hand-edited value: refusing to start says what to fix; guessing could skip events.
            raise ValueError(
                f"Airflow Variable {self.key} is not a Sluice event cursor "
                '({"lastEventId": "<id>", "batchId": null}); fix it, or delete it to start from start_from'
            ) from None

    async def save(self, cursor: Cursor) -> None:
        from airflow.sdk import Variable

        await asyncio.to_thread(Variable.set, self.key, cursor.to_json(), self.description)


class MemoryCursorStore:
    """A cursor that lives as long as the process (run() outside ack mode, tests)."""

    def __init__(self, cursor: Cursor | None = None) -> None:
        self.cursor = cursor

    async def load(self) -> Cursor | None:
        return self.cursor

    async def save(self, cursor: Cursor) -> None:
        self.cursor = cursor


# --- The producer: one follow of /v1/events per shared-stream group -------------------------


@dataclass(frozen=True)
class FollowedEvent:
    """An event as the producer broadcasts it to the triggers of its group.

    ``starts_batch``: a ``landing.batched`` event whose batch differs from the previous one's.
    Sluice claims a batch's landings in one script, so its events are consecutive in the stream.
    """

    event: SluiceEvent
    starts_batch: bool = False


Follow = Callable[[EventSelection, str], AsyncIterator[SluiceEvent | EventGap]]


async def follow_sluice(selection: EventSelection, after: str) -> AsyncIterator[SluiceEvent | EventGap]:
    """Sluice's events for the selection, after ``after``, for as long as it is iterated."""
    client = await stream_client(selection.sluice_conn_id)
    stream = SluiceEventStream(
        client, pipeline=selection.pipeline, event_type=selection.server_type_filter(), last_event_id=after
    )
    try:
        async for item in stream:
            yield item
    finally:
        await client.get_async_httpx_client().aclose()


class SluiceEventProducer(SharedStreamProducer):
    """Follows Sluice for one group of identical triggers and saves the cursor in ``advance``."""

    #: After Sluice refused the follow (bad API key, missing scope) or the connection is unusable:
    #: the first wait before trying again, doubling up to the longest.
    REFUSED_RETRY_FIRST = 30.0
    REFUSED_RETRY_LONGEST = 600.0

    def __init__(
        self,
        selection: EventSelection,
        store: CursorStore,
        follow: Follow = follow_sluice,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.selection = selection
        self.store = store
        self._follow = follow
        self._clock = clock
        self._sleep = sleep
        self._saved: Cursor | None = None
        self._held_at: str | None = None

    async def start_cursor(self) -> Cursor:
        cursor = await self.store.load()
        if cursor is not None:
            log.info("%s resumes after Sluice event %s", self.selection.describe(), cursor.last_event_id)
        else:
            start = _start_point(self.selection.start_from) or f"{int(self._clock() * 1000)}-0"
            cursor = Cursor(last_event_id=start)
            # Saved before any event: a restart before the first event resumes from here, not from a later "now".
            await self.store.save(cursor)
            log.info(
                "%s has no cursor yet: starts after Sluice event %s (start_from=%s)",
                self.selection.describe(),
                start,
                self.selection.start_from,
            )
        self._saved = cursor
        return cursor

    async def open_stream(self) -> AsyncIterator[tuple[FollowedEvent, Cursor]]:
        cursor = await self.start_cursor()
        last_id, batch = cursor.last_event_id, cursor.batch_id
        wait = self.REFUSED_RETRY_FIRST
        while True:
            try:
                async for item in self._follow(self.selection, last_id):
                    if isinstance(item, EventGap):
                        self._warn_gap(item)
                        continue
                    starts_batch = False
                    if item.type == "landing.batched":
                        landing = item.data.get("landing")
                        batch_id = landing.get("batchId") if isinstance(landing, Mapping) else None
                        starts_batch = batch_id is not None and batch_id != batch
                        batch = batch_id
                    last_id, wait = item.id, self.REFUSED_RETRY_FIRST
                    yield FollowedEvent(item, starts_batch), Cursor(item.id, batch)
            except AirflowException as error:
                # A wrong key or connection does not mend itself: failing the trigger would only
                # have the triggerer restart it at once, and again. Waiting keeps the trigger, its
                # place in the stream, and picks up a corrected connection on the next try.
                log.error(
                    "%s cannot follow Sluice's events (connection %r): %s\nIt tries again in %.0f s.",
                    self.selection.describe(),
                    self.selection.sluice_conn_id,
                    error,
                    wait,
                )
                await self._sleep(wait)
                wait = min(wait * 2, self.REFUSED_RETRY_LONGEST)
            else:
                return  # a follow ends only in tests; Airflow takes an ended stream as an error

    async def advance(self, batch: Sequence[AdvanceItem]) -> None:
        if self._held_at is not None:
            return
        newest: Cursor | None = None
        for item in batch:
            if not item.outcome.is_clean:
                # Not stored as an asset event (the trigger failed or left first): the cursor
                # stays before it so that the next follow delivers it, and so stays for good in
                # this follow, whose group Airflow is ending.
                self._held_at = item.broker_payload.last_event_id
                log.warning(
                    "%s: Sluice event %s was not stored as an asset event (%s); the cursor stays before it",
                    self.selection.describe(),
                    self._held_at,
                    item.outcome,
                )
                break
            newest = item.broker_payload
        if newest is not None and newest.is_after(self._saved):
            await self.store.save(newest)
            self._saved = newest

    def _warn_gap(self, gap: EventGap) -> None:
        selection = self.selection
        queries = [f"GET /v1/jobs?pipeline={selection.pipeline}&state={state}" for state in selection.job_states]
        if selection.landing_batches:
            queries.append(f"GET /v1/landings (batches of {selection.pipeline})")
        log.warning(
            "%s: Sluice trimmed events after %s before this trigger read them (its stream keeps the latest "
            "SLUICE_EVENTS_MAX_LENGTH events, 100,000 by default); it goes on from %s. The asset events of "
            "that interval are missing: see what happened then with %s (updatedAt before the time of event %s).",
            selection.describe(),
            gap.after,
            gap.oldest,
            " and ".join(queries),
            gap.oldest,
        )


# --- The trigger ----------------------------------------------------------------------------


class SluiceJobEventTrigger(BaseEventTrigger):
    """Asset events from Sluice's event stream: one per job of ``pipeline`` that reaches one of
    ``job_states`` (default: succeeded), and one per landing batch if ``landing_batches``.

    :param pipeline: the Sluice pipeline whose jobs (and batches) to follow.
    :param job_states: the job states that make an asset event ("succeeded", "failed", "cancelled", ...).
    :param landing_batches: also one asset event per batch of landed files Sluice forms for the pipeline.
    :param sluice_conn_id: the Airflow connection (type ``sluice``) to Sluice.
    :param start_from: where the first start begins when no cursor is saved yet: "now" (default),
        "earliest" (every event Sluice still keeps), a Sluice event id, or an ISO 8601 time.
    """

    def __init__(
        self,
        pipeline: str,
        job_states: Sequence[str] = ("succeeded",),
        landing_batches: bool = False,
        sluice_conn_id: str = "sluice_default",
        start_from: str = "now",
    ) -> None:
        super().__init__()
        self.selection = EventSelection.create(
            pipeline=pipeline,
            job_states=job_states,
            landing_batches=landing_batches,
            sluice_conn_id=sluice_conn_id,
            start_from=start_from,
        )

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return f"{type(self).__module__}.{type(self).__qualname__}", self.selection.kwargs()

    def shared_stream_key(self) -> tuple[Any, ...]:
        # Triggers with the same arguments share one follow and one cursor; any other argument
        # makes another stream, since the producer is built from one trigger's arguments.
        selection = self.selection
        return (
            "sluice-events",
            selection.sluice_conn_id,
            selection.pipeline,
            selection.job_states,
            selection.landing_batches,
            selection.start_from,
        )

    @classmethod
    def create_shared_stream_producer(cls, kwargs: dict[str, Any]) -> SluiceEventProducer:
        selection = EventSelection.from_kwargs(kwargs)
        store = VariableCursorStore(
            selection.cursor_variable(),
            description=(
                f"Last Sluice event delivered as an asset event by {selection.describe()}. "
                "Delete it to start again from the trigger's start_from."
            ),
        )
        return SluiceEventProducer(selection, store)

    async def filter_shared_stream(self, shared_stream: AsyncIterator[FollowedEvent]) -> AsyncIterator[TriggerEvent]:
        async for followed in shared_stream:
            payload = self.selection.payload_of(followed)
            if payload is not None:
                yield TriggerEvent(payload)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        # Airflow's triggerer runs this trigger through its shared stream (filter_shared_stream
        # above). run() serves whoever runs the trigger directly: nothing then says when an
        # event was stored, so no cursor can be saved safely.
        self.log.warning(
            "%s runs outside the triggerer's shared streams: it starts from start_from and saves no cursor",
            self.selection.describe(),
        )
        producer = SluiceEventProducer(self.selection, MemoryCursorStore())
        async for followed, _cursor in producer.open_stream():
            payload = self.selection.payload_of(followed)
            if payload is not None:
                yield TriggerEvent(payload)

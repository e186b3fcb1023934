"""SluiceJobEventTrigger: its arguments, serialization and hash, the asset event payloads, and
the cursor logic of its producer (start point, resume, landing batches, advance), with a fake
cursor store and a scripted event source in place of Sluice."""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from airflow.serialization.decoders import smart_decode_trigger_kwargs
from airflow.serialization.encoders import encode_trigger
from airflow.triggers.base import BaseEventTrigger, TriggerEvent
from airflow.triggers.shared_stream import AdvanceItem, AdvanceOutcome

from sluice_provider.exceptions import SluiceRequestRejected
from sluice_provider.hooks.events import EventGap, SluiceEvent
from sluice_provider.triggers.events import (
    Cursor,
    EventSelection,
    FollowedEvent,
    MemoryCursorStore,
    SluiceEventProducer,
    SluiceJobEventTrigger,
)

CLOCK_S = 1_796_000_000.123
CLOCK_ID = "1796000000123-0"


def job_event(
    event_id: str, state: str = "succeeded", job_id: str = "j1", pipeline: str = "meter-daily"
) -> SluiceEvent:
    return SluiceEvent(
        id=event_id,
        type=f"job.{state}",
        data={
            "id": event_id,
            "type": f"job.{state}",
            "time": "2026-12-01T05:55:45.146Z",
            "state": state,
            "from": "running",
            "pipeline": pipeline,
            "jobId": job_id,
            "attempt": 1,
            "reason": "committed 10 rows",
            "traceId": "trace-1",
        },
    )


def batched_event(event_id: str, batch_id: str, path: str = "in/a.parquet") -> SluiceEvent:
    return SluiceEvent(
        id=event_id,
        type="landing.batched",
        data={
            "id": event_id,
            "type": "landing.batched",
            "time": "2026-12-01T05:55:40.000Z",
            "state": "batched",
            "from": "ready",
            "pipeline": "meter-daily",
            "landing": {"fingerprint": f"fp-{path}", "source": "meter-readings", "path": path, "batchId": batch_id},
        },
    )


# --- Arguments, serialization, hash -------------------------------------------------------------


def test_serialize_round_trips():
    trigger = SluiceJobEventTrigger(
        pipeline="meter-daily",
        job_states=["failed", "succeeded"],
        landing_batches=True,
        sluice_conn_id="sluice_prod",
        start_from="earliest",
    )
    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(importlib.import_module(module), name)(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)
    assert kwargs == {
        "sluice_conn_id": "sluice_prod",
        "pipeline": "meter-daily",
        "job_states": ["succeeded", "failed"],
        "landing_batches": True,
        "start_from": "earliest",
    }


def test_the_hash_is_stable_through_the_metadata_db_encoding():
    # Airflow matches a DAG's watcher to its trigger row by this hash at every parse: it must not
    # change between instances, nor after the kwargs went through the DB's encoding and back.
    first = SluiceJobEventTrigger(pipeline="meter-daily", job_states=("succeeded", "failed", "succeeded"))
    second = SluiceJobEventTrigger(pipeline="meter-daily", job_states=["failed", "succeeded"])
    classpath, kwargs = first.serialize()
    assert BaseEventTrigger.hash(classpath, kwargs) == BaseEventTrigger.hash(*second.serialize())

    encoded = encode_trigger({"classpath": classpath, "kwargs": kwargs})["kwargs"]
    decoded = {key: smart_decode_trigger_kwargs(value) for key, value in encoded.items()}
    from_db = SluiceJobEventTrigger(**decoded)
    assert BaseEventTrigger.hash(*from_db.serialize()) == BaseEventTrigger.hash(classpath, kwargs)
    assert BaseEventTrigger.hash(
        *SluiceJobEventTrigger(pipeline="meter-by-status").serialize()
    ) != BaseEventTrigger.hash(classpath, kwargs)


def test_defaults_follow_succeeded_jobs_from_now_on_sluice_default():
    _, kwargs = SluiceJobEventTrigger(pipeline="meter-daily").serialize()
    assert kwargs == {
        "sluice_conn_id": "sluice_default",
        "pipeline": "meter-daily",
        "job_states": ["succeeded"],
        "landing_batches": False,
        "start_from": "now",
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pipeline": ""}, "pipeline must name"),
        ({"pipeline": "p", "job_states": ["done"]}, r"unknown states \['done'\]"),
        ({"pipeline": "p", "job_states": []}, "nothing to follow"),
        ({"pipeline": "p", "start_from": "yesterday"}, "start_from must be"),
        ({"pipeline": "p", "start_from": "2026-01-01T00:00:00"}, "needs a time zone"),
    ],
)
def test_wrong_arguments_fail_when_the_dag_is_parsed(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SluiceJobEventTrigger(**kwargs)


def test_unknown_arguments_are_refused():
    with pytest.raises(TypeError):
        SluiceJobEventTrigger(pipeline="p", pipline="q")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "job.succeeded"),
        ({"job_states": ["succeeded", "failed"]}, "job."),
        ({"landing_batches": True}, None),
        ({"job_states": [], "landing_batches": True}, "landing.batched"),
    ],
)
def test_sluice_filters_the_events_by_type_when_it_can(kwargs, expected):
    assert EventSelection.create(pipeline="p", **kwargs).server_type_filter() == expected


def test_each_set_of_arguments_has_its_own_cursor_variable():
    names = {
        EventSelection.create(pipeline="meter-daily").cursor_variable(),
        EventSelection.create(pipeline="meter-daily", landing_batches=True).cursor_variable(),
        EventSelection.create(pipeline="meter-daily", sluice_conn_id="other").cursor_variable(),
        EventSelection.create(pipeline="meter-daily", start_from="earliest").cursor_variable(),
    }
    assert len(names) == 4
    assert all(name.startswith("sluice_events_cursor.meter-daily.") for name in names)
    assert (
        EventSelection.create(pipeline="meter-daily").cursor_variable()
        == EventSelection.create(pipeline="meter-daily", job_states=("succeeded",)).cursor_variable()
    )
    assert EventSelection.create(pipeline="a/b c").cursor_variable().startswith("sluice_events_cursor.a_b_c.")


# --- Payloads -----------------------------------------------------------------------------------


def test_a_succeeded_job_gives_what_a_downstream_dag_needs():
    payload = EventSelection.create(pipeline="meter-daily").payload_of(FollowedEvent(job_event("5-0", job_id="j42")))
    assert payload == {
        "kind": "job",
        "event_id": "5-0",
        "event_type": "job.succeeded",
        "pipeline": "meter-daily",
        "job_id": "j42",
        "state": "succeeded",
        "attempt": 1,
        "time": "2026-12-01T05:55:45.146Z",
        "trace_id": "trace-1",
        "reason": "committed 10 rows",
    }


def test_jobs_in_other_states_give_nothing_unless_asked_for():
    default = EventSelection.create(pipeline="meter-daily")
    assert default.payload_of(FollowedEvent(job_event("5-0", state="failed"))) is None
    assert default.payload_of(FollowedEvent(job_event("5-0", state="running"))) is None
    failures = EventSelection.create(pipeline="meter-daily", job_states=["failed"])
    assert failures.payload_of(FollowedEvent(job_event("5-0", state="failed")))["state"] == "failed"
    assert failures.payload_of(FollowedEvent(job_event("6-0"))) is None


def test_a_landing_batch_gives_one_payload_only_when_asked_for():
    first = FollowedEvent(batched_event("7-0", "b1"), starts_batch=True)
    rest = FollowedEvent(batched_event("7-1", "b1", path="in/b.parquet"), starts_batch=False)
    assert EventSelection.create(pipeline="meter-daily").payload_of(first) is None
    batches = EventSelection.create(pipeline="meter-daily", landing_batches=True)
    assert batches.payload_of(first) == {
        "kind": "landing_batch",
        "event_id": "7-0",
        "event_type": "landing.batched",
        "pipeline": "meter-daily",
        "batch_id": "b1",
        "source": "meter-readings",
        "path": "in/a.parquet",
        "time": "2026-12-01T05:55:40.000Z",
        "trace_id": None,
    }
    assert batches.payload_of(rest) is None


def test_the_filter_turns_selected_events_into_trigger_events_in_order():
    trigger = SluiceJobEventTrigger(pipeline="meter-daily")

    async def shared() -> AsyncIterator[FollowedEvent]:
        for event in (job_event("1-0", job_id="a"), job_event("2-0", state="failed"), job_event("3-0", job_id="b")):
            yield FollowedEvent(event)

    async def collect() -> list[TriggerEvent]:
        return [event async for event in trigger.filter_shared_stream(shared())]

    events = asyncio.run(collect())
    assert [event.payload["job_id"] for event in events] == ["a", "b"]


# --- The producer's cursor ----------------------------------------------------------------------


class RecordingStore(MemoryCursorStore):
    def __init__(self, cursor: Cursor | None = None) -> None:
        super().__init__(cursor)
        self.saved: list[Cursor] = []

    async def save(self, cursor: Cursor) -> None:
        self.saved.append(cursor)
        await super().save(cursor)


class ScriptedSluice:
    """The events Sluice has, after any id: what a follow from a resume point would read."""

    def __init__(self, *items: SluiceEvent | EventGap) -> None:
        self.items = items
        self.follows: list[str] = []

    async def __call__(self, selection: EventSelection, after: str) -> AsyncIterator[SluiceEvent | EventGap]:
        self.follows.append(after)
        for item in self.items:
            yield item


def producer(store: RecordingStore, sluice: ScriptedSluice, sleeps: list[float] | None = None, **selection: Any):
    chosen = EventSelection.create(pipeline="meter-daily", **selection)

    async def sleep(delay: float) -> None:
        if sleeps is not None:
            sleeps.append(delay)

    return SluiceEventProducer(chosen, store, follow=sluice, clock=lambda: CLOCK_S, sleep=sleep)


def read_all(source: SluiceEventProducer) -> list[tuple[FollowedEvent, Cursor]]:
    async def collect() -> list[tuple[FollowedEvent, Cursor]]:
        return [pair async for pair in source.open_stream()]

    return asyncio.run(collect())


def advance(source: SluiceEventProducer, *items: tuple[Cursor, AdvanceOutcome]) -> None:
    batch: Sequence[AdvanceItem] = [AdvanceItem(cursor, outcome) for cursor, outcome in items]
    asyncio.run(source.advance(batch))


ACKED = AdvanceOutcome(acked=1, failed=0)
FAILED = AdvanceOutcome(acked=0, failed=1)
NOBODY = AdvanceOutcome(acked=0, failed=0)


def test_a_first_start_saves_now_before_reading_and_follows_from_it():
    store, sluice = RecordingStore(), ScriptedSluice(job_event("1796000000200-0"))
    pairs = read_all(producer(store, sluice))
    assert store.saved[0] == Cursor(CLOCK_ID)
    assert sluice.follows == [CLOCK_ID]
    # Reading saves nothing more: only advance() does, once the asset events were stored.
    assert store.saved == [Cursor(CLOCK_ID)]
    assert [cursor for _, cursor in pairs] == [Cursor("1796000000200-0")]


@pytest.mark.parametrize(
    ("start_from", "resume"),
    [("earliest", "0-0"), ("1733030000000-7", "1733030000000-7"), ("2024-12-01T05:13:20Z", "1733030000000-0")],
)
def test_start_from_says_where_a_first_start_begins(start_from, resume):
    store, sluice = RecordingStore(), ScriptedSluice()
    read_all(producer(store, sluice, start_from=start_from))
    assert sluice.follows == [resume]
    assert store.saved == [Cursor(resume)]


def test_a_saved_cursor_wins_over_start_from_and_is_not_rewritten():
    store, sluice = RecordingStore(Cursor("50-0")), ScriptedSluice(job_event("51-0"))
    read_all(producer(store, sluice, start_from="earliest"))
    assert sluice.follows == ["50-0"]
    assert store.saved == []


def test_advance_saves_the_newest_event_of_a_batch_all_stored():
    store = RecordingStore(Cursor("1-0"))
    source = producer(store, ScriptedSluice())
    read_all(source)
    advance(source, (Cursor("2-0"), ACKED), (Cursor("3-0"), ACKED))
    advance(source, (Cursor("4-0"), ACKED))
    assert store.saved == [Cursor("3-0"), Cursor("4-0")]


@pytest.mark.parametrize("outcome", [FAILED, NOBODY], ids=["failed", "no-subscriber"])
def test_advance_stops_before_an_event_not_stored_and_never_moves_past_it(outcome, caplog):
    store = RecordingStore(Cursor("1-0"))
    source = producer(store, ScriptedSluice())
    read_all(source)
    with caplog.at_level(logging.WARNING):
        advance(source, (Cursor("2-0"), ACKED), (Cursor("3-0"), outcome), (Cursor("4-0"), ACKED))
        advance(source, (Cursor("5-0"), ACKED))
    assert store.saved == [Cursor("2-0")]
    assert "Sluice event 3-0 was not stored as an asset event" in caplog.text


def test_advance_never_moves_the_cursor_back():
    store = RecordingStore(Cursor("9-0"))
    source = producer(store, ScriptedSluice())
    read_all(source)
    advance(source, (Cursor("8-0"), ACKED))
    assert store.saved == []


def test_a_gap_is_logged_with_how_to_see_what_was_missed_and_the_follow_goes_on(caplog):
    store = RecordingStore(Cursor("5-0"))
    sluice = ScriptedSluice(EventGap(after="5-0", oldest="90-0"), job_event("90-0"))
    with caplog.at_level(logging.WARNING):
        pairs = read_all(producer(store, sluice))
    assert [followed.event.id for followed, _ in pairs] == ["90-0"]
    assert "trimmed events after 5-0" in caplog.text
    assert "GET /v1/jobs?pipeline=meter-daily&state=succeeded" in caplog.text


def test_a_batch_is_announced_by_its_first_landing_only_even_across_a_restart():
    events = (
        batched_event("10-0", "b1"),
        batched_event("10-1", "b1", path="in/b.parquet"),
        job_event("11-0"),
        batched_event("12-0", "b2"),
    )
    pairs = read_all(producer(RecordingStore(Cursor("9-0")), ScriptedSluice(*events), landing_batches=True))
    assert [followed.starts_batch for followed, _ in pairs] == [True, False, False, True]
    assert [cursor for _, cursor in pairs] == [
        Cursor("10-0", "b1"),
        Cursor("10-1", "b1"),
        Cursor("11-0", "b1"),
        Cursor("12-0", "b2"),
    ]
    # Restarted after the batch's first landing was delivered: its later landing is no new batch.
    resumed = read_all(
        producer(RecordingStore(Cursor("10-0", "b1")), ScriptedSluice(*events[1:]), landing_batches=True)
    )
    assert [followed.starts_batch for followed, _ in resumed] == [False, False, True]


class RefusingSluice(ScriptedSluice):
    """Refuses the first follows (a wrong API key, fixed meanwhile), then serves its events."""

    def __init__(self, refusals: int, *items: SluiceEvent | EventGap) -> None:
        super().__init__(*items)
        self.refusals = refusals

    async def __call__(self, selection: EventSelection, after: str) -> AsyncIterator[SluiceEvent | EventGap]:
        self.follows.append(after)
        if len(self.follows) <= self.refusals:
            raise SluiceRequestRejected(status=401, title="Unauthorized", detail="the API key is not valid")
        for item in self.items:
            yield item


def test_a_refused_follow_waits_longer_each_time_and_resumes_where_it_was(caplog):
    sluice, sleeps = RefusingSluice(3, job_event("51-0")), []
    with caplog.at_level(logging.ERROR):
        pairs = read_all(producer(RecordingStore(Cursor("50-0")), sluice, sleeps))
    assert [followed.event.id for followed, _ in pairs] == ["51-0"]
    assert sluice.follows == ["50-0"] * 4
    assert sleeps == [30.0, 60.0, 120.0]
    assert "cannot follow Sluice's events (connection 'sluice_default'): 401 Unauthorized: the API key" in caplog.text


def test_a_cursor_round_trips_through_its_variable_text():
    for cursor in (Cursor("1733030000000-0"), Cursor("5-3", "batch-9")):
        assert Cursor.from_json(cursor.to_json()) == cursor
    with pytest.raises(ValueError, match="not a cursor"):
        Cursor.from_json('{"lastEventId": "now"}')

"""The SSE reader of GET /v1/events: parsing (SseParser, parse_message) and SluiceEventStream's
reconnect/resume/error rules, against scripted answers (httpx.MockTransport stands in for the
HTTP layer only; the integration tests follow a real Sluice)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest

from sluice_provider.api_client.client import AuthenticatedClient
from sluice_provider.exceptions import SluiceApiError, SluiceRequestRejected
from sluice_provider.hooks.events import (
    Backoff,
    EventGap,
    SluiceEvent,
    SluiceEventStream,
    SseMessage,
    SseParser,
    event_id_key,
    parse_message,
)


def feed_all(text: str) -> list[SseMessage]:
    parser = SseParser()
    messages = [parser.feed(line) for line in text.split("\n")]
    return [message for message in messages if message is not None]


# --- SseParser ----------------------------------------------------------------------------------


def test_a_frame_gives_its_id_type_and_data():
    assert feed_all('id: 1-0\nevent: job.succeeded\ndata: {"a": 1}\n\n') == [
        SseMessage(event="job.succeeded", data='{"a": 1}', id="1-0")
    ]


def test_data_lines_join_with_newlines():
    assert feed_all("data: first\ndata: second\ndata:\ndata:  indented\n\n")[0].data == "first\nsecond\n\n indented"


def test_comments_and_blocks_without_data_give_nothing():
    text = "retry: 2000\n\n: subscribed\n\n: keep-alive\n\nid: 5-0\n\n"
    assert feed_all(text) == []


def test_a_comment_inside_a_frame_does_not_end_it():
    assert feed_all("id: 2-0\n: note\nevent: job.failed\ndata: {}\n\n") == [
        SseMessage(event="job.failed", data="{}", id="2-0")
    ]


def test_the_space_after_the_colon_is_optional_and_only_one_is_dropped():
    assert feed_all("event:job.queued\ndata:  x\n\n") == [SseMessage(event="job.queued", data=" x", id=None)]


def test_a_frame_without_event_is_a_message_and_without_id_has_none():
    assert feed_all("data: hello\n\n") == [SseMessage(event="message", data="hello", id=None)]


def test_ids_do_not_carry_over_to_the_next_frame():
    # Sluice's gap frame has no id on purpose: it must not look like the event before it.
    messages = feed_all('id: 7-0\nevent: job.succeeded\ndata: {}\n\nevent: gap\ndata: {"after": "1-0"}\n\n')
    assert [message.id for message in messages] == ["7-0", None]


def test_retry_sets_the_reconnection_time_and_ignores_non_digits():
    parser = SseParser()
    parser.feed("retry: 2000")
    assert parser.retry_ms == 2000
    parser.feed("retry: soon")
    assert parser.retry_ms == 2000


def test_unknown_fields_and_lines_without_colon_are_ignored():
    assert feed_all("colour: blue\nnonsense\ndata: kept\n\n") == [SseMessage(event="message", data="kept", id=None)]


# --- parse_message ------------------------------------------------------------------------------


def test_an_event_message_becomes_a_sluice_event():
    data = {"id": "1733030000000-0", "type": "job.succeeded", "jobId": "j1", "pipeline": "meter-daily"}
    item = parse_message(SseMessage(event="job.succeeded", data=json.dumps(data), id="1733030000000-0"))
    assert item == SluiceEvent(id="1733030000000-0", type="job.succeeded", data=data)


def test_a_gap_message_becomes_a_gap():
    item = parse_message(SseMessage(event="gap", data='{"after": "5-0", "oldest": "90-0"}'))
    assert item == EventGap(after="5-0", oldest="90-0")


@pytest.mark.parametrize(
    "message",
    [
        SseMessage(event="job.succeeded", data="not json", id="1-0"),
        SseMessage(event="job.succeeded", data="[1, 2]", id="1-0"),
        SseMessage(event="job.succeeded", data="{}", id=None),
        SseMessage(event="job.succeeded", data="{}", id="latest"),
    ],
    ids=["not-json", "not-an-object", "no-id", "bad-id"],
)
def test_a_message_that_is_not_an_event_is_skipped(message):
    assert parse_message(message) is None


def test_event_ids_order_by_time_then_sequence():
    assert event_id_key("1733030000000-1") > event_id_key("1733030000000-0")
    assert event_id_key("1733030000001-0") > event_id_key("1733030000000-9")
    assert event_id_key("10-0") > event_id_key("9-0")  # numbers, not text
    with pytest.raises(ValueError, match="not a Sluice event id"):
        event_id_key("abc")


# --- SluiceEventStream --------------------------------------------------------------------------


def frame(event_id: str, event_type: str = "job.succeeded", **fields: object) -> str:
    data = {"id": event_id, "type": event_type, **fields}
    return f"id: {event_id}\nevent: {event_type}\ndata: {json.dumps(data)}\n\n"


def sse(*frames: str) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, text="retry: 2000\n\n" + "".join(frames))


class Scripted:
    """Answers each request with the next scripted answer; records the requests."""

    def __init__(self, *answers: httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else httpx.ConnectError("no more answers", request=request)
        if isinstance(answer, Exception):
            raise answer
        return answer(request) if callable(answer) else answer


def stream_over(script: Scripted, **kwargs) -> tuple[SluiceEventStream, list[float]]:
    client = AuthenticatedClient(
        base_url="http://sluice.test", token="key-1234567890", httpx_args={"transport": httpx.MockTransport(script)}
    )
    delays: list[float] = []

    async def sleep(delay: float) -> None:
        delays.append(delay)

    backoff = Backoff(initial=1.0, maximum=8.0, random=lambda: 1.0)  # no jitter: the ceiling
    return SluiceEventStream(client, sleep=sleep, backoff=backoff, **kwargs), delays


def take(stream: SluiceEventStream, count: int) -> list[SluiceEvent | EventGap]:
    async def run() -> list[SluiceEvent | EventGap]:
        items: list[SluiceEvent | EventGap] = []
        async for item in stream:
            items.append(item)
            if len(items) == count:
                break
        return items

    return asyncio.run(asyncio.wait_for(run(), timeout=10))


def test_it_sends_the_filters_the_api_key_and_no_resume_point_at_first():
    script = Scripted(sse(frame("1-0")))
    stream, _ = stream_over(script, pipeline="meter-daily", event_type="job.succeeded")
    take(stream, 1)
    request = script.requests[0]
    assert request.url.path == "/v1/events"
    assert dict(request.url.params) == {"pipeline": "meter-daily", "type": "job.succeeded"}
    assert request.headers["authorization"] == "Bearer key-1234567890"
    assert request.headers["accept"] == "text/event-stream"
    assert "last-event-id" not in request.headers


def test_it_yields_events_and_gaps_in_order_and_skips_comments():
    script = Scripted(
        sse(
            'event: gap\ndata: {"after": "1-0", "oldest": "50-0"}\n\n', ": keep-alive\n\n", frame("50-0"), frame("51-0")
        )
    )
    stream, _ = stream_over(script, last_event_id="1-0")
    items = take(stream, 3)
    assert items[0] == EventGap(after="1-0", oldest="50-0")
    assert [item.id for item in items[1:]] == ["50-0", "51-0"]
    assert stream.last_event_id == "51-0"


def test_after_the_server_ends_the_stream_it_resumes_after_the_last_event_with_last_event_id():
    script = Scripted(sse(frame("1-0"), frame("2-0")), sse(frame("3-0")))
    stream, delays = stream_over(script, last_event_id="0-5")
    assert [item.id for item in take(stream, 3)] == ["1-0", "2-0", "3-0"]
    assert script.requests[0].headers["last-event-id"] == "0-5"
    assert script.requests[1].headers["last-event-id"] == "2-0"
    assert delays == [2.0]  # Sluice's retry: hint after a clean end


def test_an_event_not_after_the_last_one_is_not_yielded_twice():
    script = Scripted(sse(frame("1-0"), frame("2-0")), sse(frame("2-0"), frame("1-0"), frame("3-0")))
    stream, _ = stream_over(script)
    assert [item.id for item in take(stream, 3)] == ["1-0", "2-0", "3-0"]


def test_a_dropped_connection_is_retried_with_growing_backoff_then_resumes():
    script = Scripted(
        httpx.ConnectError("refused"),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("silent"),
        sse(frame("9-0")),
    )
    stream, delays = stream_over(script, last_event_id="8-0")
    assert [item.id for item in take(stream, 1)] == ["9-0"]
    assert delays == [1.0, 2.0, 4.0]
    assert all(request.headers["last-event-id"] == "8-0" for request in script.requests)


def test_the_backoff_starts_over_once_a_stream_was_read():
    script = Scripted(
        httpx.ConnectError("refused"), sse(frame("1-0")), httpx.ConnectError("refused"), sse(frame("2-0"))
    )
    stream, delays = stream_over(script)
    take(stream, 2)
    assert delays == [1.0, 2.0, 1.0]  # refused, clean end (retry: 2 s), refused again from the start


def test_a_body_cut_midway_resumes_after_the_last_whole_event():
    def cut(request: httpx.Request) -> httpx.Response:
        async def body():
            yield ("retry: 2000\n\n" + frame("1-0") + "id: 2-0\nevent: job.succ").encode()
            raise httpx.RemoteProtocolError("peer closed connection", request=request)

        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    script = Scripted(cut, sse(frame("2-0")))
    stream, delays = stream_over(script)
    assert [item.id for item in take(stream, 2)] == ["1-0", "2-0"]
    assert script.requests[1].headers["last-event-id"] == "1-0"
    assert delays == [1.0]


def test_503_is_retried_after_its_retry_after():
    unavailable = httpx.Response(
        503,
        headers={"Retry-After": "3"},
        json={"title": "Service Unavailable", "status": 503, "detail": "redis-unavailable"},
    )
    script = Scripted(unavailable, sse(frame("1-0")))
    stream, delays = stream_over(script)
    assert [item.id for item in take(stream, 1)] == ["1-0"]
    assert delays == [3.0]


@pytest.mark.parametrize("status", [401, 403, 422])
def test_an_answer_no_retry_can_fix_raises_with_sluices_problem_detail(status):
    problem = {
        "type": "urn:sluice:problem:x",
        "title": {401: "Unauthorized", 403: "Forbidden", 422: "Unprocessable content"}[status],
        "status": status,
        "detail": "the API key is not valid" if status == 401 else "nope",
        "requestId": "req-1",
        "errors": [{"path": "type", "message": "must be an event type"}] if status == 422 else [],
    }
    script = Scripted(httpx.Response(status, json=problem, headers={"content-type": "application/problem+json"}))
    stream, delays = stream_over(script)
    with pytest.raises(SluiceRequestRejected) as raised:
        take(stream, 1)
    error = raised.value
    assert isinstance(error, SluiceApiError)
    assert (error.status, error.title, error.request_id) == (status, problem["title"], "req-1")
    assert str(error).startswith(f"{status} {problem['title']}: {problem['detail']}")
    if status == 422:
        assert "  type: must be an event type" in str(error)
    assert delays == [] and len(script.requests) == 1


def test_a_rejection_without_problem_detail_still_names_status_and_text():
    script = Scripted(httpx.Response(403, text="<html>denied by proxy</html>"))
    stream, _ = stream_over(script)
    with pytest.raises(SluiceRequestRejected, match="403 Forbidden: <html>denied by proxy</html>"):
        take(stream, 1)


def test_a_malformed_resume_point_fails_before_any_request():
    script = Scripted()
    with pytest.raises(ValueError, match="not a Sluice event id"):
        stream_over(script, last_event_id="yesterday")
    assert script.requests == []

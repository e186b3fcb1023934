import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.job_page import JobPage
from ...models.list_jobs_order import ListJobsOrder
from ...models.list_jobs_state import ListJobsState
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    state: ListJobsState | Unset = UNSET,
    pipeline: str | Unset = UNSET,
    label: list[str] | Unset = UNSET,
    from_: datetime.date | datetime.datetime | Unset = UNSET,
    until: datetime.date | datetime.datetime | Unset = UNSET,
    q: str | Unset = UNSET,
    order: ListJobsOrder | Unset = ListJobsOrder.NEWEST,
    cursor: str | Unset = UNSET,
    limit: int | Unset = 50,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_state: str | Unset = UNSET
    if not isinstance(state, Unset):
        json_state = state.value

    params["state"] = json_state

    params["pipeline"] = pipeline

    json_label: list[str] | Unset = UNSET
    if not isinstance(label, Unset):
        json_label = label

    params["label"] = json_label

    json_from_: str | Unset
    if isinstance(from_, Unset):
        json_from_ = UNSET
    elif isinstance(from_, datetime.datetime):
        json_from_ = from_.isoformat()
    else:
        json_from_ = from_.isoformat()

    params["from"] = json_from_

    json_until: str | Unset
    if isinstance(until, Unset):
        json_until = UNSET
    elif isinstance(until, datetime.datetime):
        json_until = until.isoformat()
    else:
        json_until = until.isoformat()

    params["until"] = json_until

    params["q"] = q

    json_order: str | Unset = UNSET
    if not isinstance(order, Unset):
        json_order = order.value

    params["order"] = json_order

    params["cursor"] = cursor

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/jobs",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> JobPage | Problem | None:
    if response.status_code == 200:
        response_200 = JobPage.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[JobPage | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    state: ListJobsState | Unset = UNSET,
    pipeline: str | Unset = UNSET,
    label: list[str] | Unset = UNSET,
    from_: datetime.date | datetime.datetime | Unset = UNSET,
    until: datetime.date | datetime.datetime | Unset = UNSET,
    q: str | Unset = UNSET,
    order: ListJobsOrder | Unset = ListJobsOrder.NEWEST,
    cursor: str | Unset = UNSET,
    limit: int | Unset = 50,
) -> Response[JobPage | Problem]:
    """List jobs

     Newest first, or oldest first with `order=oldest`. Filters combine (a job matches all of them). A
    page may hold fewer than `limit` jobs and still have a `nextCursor`: a request reads a bounded
    number of jobs, and the cursor carries on from there.

    Args:
        state (ListJobsState | Unset):
        pipeline (str | Unset):
        label (list[str] | Unset): Repeatable `key=value`: only jobs carrying every one of these
            labels with exactly this value. Example: ['team=finance'].
        from_ (datetime.date | datetime.datetime | Unset): Only jobs created at or after this time
            (ISO 8601: `2025-06-01T08:00:00Z`, an offset, or a date meaning midnight UTC).
        until (datetime.date | datetime.datetime | Unset): Only jobs created before this time (ISO
            8601, as `from`).
        q (str | Unset): Search, case-sensitive: jobs whose id starts with `q` (the exact id
            included), or with an input whose full path starts with `q`, or whose file name (the last
            path segment, a folder's name for a folder input) starts with `q`. Example: sales-2025-06.
        order (ListJobsOrder | Unset): By creation time: `newest` first (the default) or `oldest`
            first (`state=queued&order=oldest&limit=1` is the oldest queued job). A `nextCursor`
            carries on in the order of the page that gave it: pass the same `order` with it. Default:
            ListJobsOrder.NEWEST.
        cursor (str | Unset):
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[JobPage | Problem]
    """

    kwargs = _get_kwargs(
        state=state,
        pipeline=pipeline,
        label=label,
        from_=from_,
        until=until,
        q=q,
        order=order,
        cursor=cursor,
        limit=limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    state: ListJobsState | Unset = UNSET,
    pipeline: str | Unset = UNSET,
    label: list[str] | Unset = UNSET,
    from_: datetime.date | datetime.datetime | Unset = UNSET,
    until: datetime.date | datetime.datetime | Unset = UNSET,
    q: str | Unset = UNSET,
    order: ListJobsOrder | Unset = ListJobsOrder.NEWEST,
    cursor: str | Unset = UNSET,
    limit: int | Unset = 50,
) -> JobPage | Problem | None:
    """List jobs

     Newest first, or oldest first with `order=oldest`. Filters combine (a job matches all of them). A
    page may hold fewer than `limit` jobs and still have a `nextCursor`: a request reads a bounded
    number of jobs, and the cursor carries on from there.

    Args:
        state (ListJobsState | Unset):
        pipeline (str | Unset):
        label (list[str] | Unset): Repeatable `key=value`: only jobs carrying every one of these
            labels with exactly this value. Example: ['team=finance'].
        from_ (datetime.date | datetime.datetime | Unset): Only jobs created at or after this time
            (ISO 8601: `2025-06-01T08:00:00Z`, an offset, or a date meaning midnight UTC).
        until (datetime.date | datetime.datetime | Unset): Only jobs created before this time (ISO
            8601, as `from`).
        q (str | Unset): Search, case-sensitive: jobs whose id starts with `q` (the exact id
            included), or with an input whose full path starts with `q`, or whose file name (the last
            path segment, a folder's name for a folder input) starts with `q`. Example: sales-2025-06.
        order (ListJobsOrder | Unset): By creation time: `newest` first (the default) or `oldest`
            first (`state=queued&order=oldest&limit=1` is the oldest queued job). A `nextCursor`
            carries on in the order of the page that gave it: pass the same `order` with it. Default:
            ListJobsOrder.NEWEST.
        cursor (str | Unset):
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        JobPage | Problem
    """

    return sync_detailed(
        client=client,
        state=state,
        pipeline=pipeline,
        label=label,
        from_=from_,
        until=until,
        q=q,
        order=order,
        cursor=cursor,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    state: ListJobsState | Unset = UNSET,
    pipeline: str | Unset = UNSET,
    label: list[str] | Unset = UNSET,
    from_: datetime.date | datetime.datetime | Unset = UNSET,
    until: datetime.date | datetime.datetime | Unset = UNSET,
    q: str | Unset = UNSET,
    order: ListJobsOrder | Unset = ListJobsOrder.NEWEST,
    cursor: str | Unset = UNSET,
    limit: int | Unset = 50,
) -> Response[JobPage | Problem]:
    """List jobs

     Newest first, or oldest first with `order=oldest`. Filters combine (a job matches all of them). A
    page may hold fewer than `limit` jobs and still have a `nextCursor`: a request reads a bounded
    number of jobs, and the cursor carries on from there.

    Args:
        state (ListJobsState | Unset):
        pipeline (str | Unset):
        label (list[str] | Unset): Repeatable `key=value`: only jobs carrying every one of these
            labels with exactly this value. Example: ['team=finance'].
        from_ (datetime.date | datetime.datetime | Unset): Only jobs created at or after this time
            (ISO 8601: `2025-06-01T08:00:00Z`, an offset, or a date meaning midnight UTC).
        until (datetime.date | datetime.datetime | Unset): Only jobs created before this time (ISO
            8601, as `from`).
        q (str | Unset): Search, case-sensitive: jobs whose id starts with `q` (the exact id
            included), or with an input whose full path starts with `q`, or whose file name (the last
            path segment, a folder's name for a folder input) starts with `q`. Example: sales-2025-06.
        order (ListJobsOrder | Unset): By creation time: `newest` first (the default) or `oldest`
            first (`state=queued&order=oldest&limit=1` is the oldest queued job). A `nextCursor`
            carries on in the order of the page that gave it: pass the same `order` with it. Default:
            ListJobsOrder.NEWEST.
        cursor (str | Unset):
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[JobPage | Problem]
    """

    kwargs = _get_kwargs(
        state=state,
        pipeline=pipeline,
        label=label,
        from_=from_,
        until=until,
        q=q,
        order=order,
        cursor=cursor,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    state: ListJobsState | Unset = UNSET,
    pipeline: str | Unset = UNSET,
    label: list[str] | Unset = UNSET,
    from_: datetime.date | datetime.datetime | Unset = UNSET,
    until: datetime.date | datetime.datetime | Unset = UNSET,
    q: str | Unset = UNSET,
    order: ListJobsOrder | Unset = ListJobsOrder.NEWEST,
    cursor: str | Unset = UNSET,
    limit: int | Unset = 50,
) -> JobPage | Problem | None:
    """List jobs

     Newest first, or oldest first with `order=oldest`. Filters combine (a job matches all of them). A
    page may hold fewer than `limit` jobs and still have a `nextCursor`: a request reads a bounded
    number of jobs, and the cursor carries on from there.

    Args:
        state (ListJobsState | Unset):
        pipeline (str | Unset):
        label (list[str] | Unset): Repeatable `key=value`: only jobs carrying every one of these
            labels with exactly this value. Example: ['team=finance'].
        from_ (datetime.date | datetime.datetime | Unset): Only jobs created at or after this time
            (ISO 8601: `2025-06-01T08:00:00Z`, an offset, or a date meaning midnight UTC).
        until (datetime.date | datetime.datetime | Unset): Only jobs created before this time (ISO
            8601, as `from`).
        q (str | Unset): Search, case-sensitive: jobs whose id starts with `q` (the exact id
            included), or with an input whose full path starts with `q`, or whose file name (the last
            path segment, a folder's name for a folder input) starts with `q`. Example: sales-2025-06.
        order (ListJobsOrder | Unset): By creation time: `newest` first (the default) or `oldest`
            first (`state=queued&order=oldest&limit=1` is the oldest queued job). A `nextCursor`
            carries on in the order of the page that gave it: pass the same `order` with it. Default:
            ListJobsOrder.NEWEST.
        cursor (str | Unset):
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        JobPage | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            state=state,
            pipeline=pipeline,
            label=label,
            from_=from_,
            until=until,
            q=q,
            order=order,
            cursor=cursor,
            limit=limit,
        )
    ).parsed

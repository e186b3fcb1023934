from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.run_stats import RunStats
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    hours: int | Unset = 24,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["hours"] = hours

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/stats/runs",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | RunStats | None:
    if response.status_code == 200:
        response_200 = RunStats.from_dict(response.json())

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
) -> Response[Problem | RunStats]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    hours: int | Unset = 24,
) -> Response[Problem | RunStats]:
    """Runs per pipeline over the last hours

     Per pipeline, the jobs that reached a final state (succeeded, failed, cancelled) in the last `hours`
    hours, by finish time: counts, p50 and p95 duration, and succeeded/failed counts per hour. A request
    reads at most 10,000 job records (the newest); when the window held more, `truncated` is true.

    Args:
        hours (int | Unset): The window: the last `hours` hours up to now (1 to 168, a week). The
            trend has one bucket per hour. Default: 24. Example: 24.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RunStats]
    """

    kwargs = _get_kwargs(
        hours=hours,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    hours: int | Unset = 24,
) -> Problem | RunStats | None:
    """Runs per pipeline over the last hours

     Per pipeline, the jobs that reached a final state (succeeded, failed, cancelled) in the last `hours`
    hours, by finish time: counts, p50 and p95 duration, and succeeded/failed counts per hour. A request
    reads at most 10,000 job records (the newest); when the window held more, `truncated` is true.

    Args:
        hours (int | Unset): The window: the last `hours` hours up to now (1 to 168, a week). The
            trend has one bucket per hour. Default: 24. Example: 24.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RunStats
    """

    return sync_detailed(
        client=client,
        hours=hours,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    hours: int | Unset = 24,
) -> Response[Problem | RunStats]:
    """Runs per pipeline over the last hours

     Per pipeline, the jobs that reached a final state (succeeded, failed, cancelled) in the last `hours`
    hours, by finish time: counts, p50 and p95 duration, and succeeded/failed counts per hour. A request
    reads at most 10,000 job records (the newest); when the window held more, `truncated` is true.

    Args:
        hours (int | Unset): The window: the last `hours` hours up to now (1 to 168, a week). The
            trend has one bucket per hour. Default: 24. Example: 24.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RunStats]
    """

    kwargs = _get_kwargs(
        hours=hours,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    hours: int | Unset = 24,
) -> Problem | RunStats | None:
    """Runs per pipeline over the last hours

     Per pipeline, the jobs that reached a final state (succeeded, failed, cancelled) in the last `hours`
    hours, by finish time: counts, p50 and p95 duration, and succeeded/failed counts per hour. A request
    reads at most 10,000 job records (the newest); when the window held more, `truncated` is true.

    Args:
        hours (int | Unset): The window: the last `hours` hours up to now (1 to 168, a week). The
            trend has one bucket per hour. Default: 24. Example: 24.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RunStats
    """

    return (
        await asyncio_detailed(
            client=client,
            hours=hours,
        )
    ).parsed

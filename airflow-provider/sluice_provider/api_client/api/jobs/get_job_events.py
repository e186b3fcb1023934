from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: str,
    *,
    type_: str | Unset = UNSET,
    since: str | Unset = UNSET,
    last_event_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(last_event_id, Unset):
        headers["last-event-id"] = last_event_id

    params: dict[str, Any] = {}

    params["type"] = type_

    params["since"] = since

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/jobs/{id}/events".format(
            id=quote(str(id), safe=""),
        ),
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | str | None:
    if response.status_code == 200:
        response_200 = response.text
        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

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
) -> Response[Problem | str]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    *,
    client: AuthenticatedClient,
    type_: str | Unset = UNSET,
    since: str | Unset = UNSET,
    last_event_id: str | Unset = UNSET,
) -> Response[Problem | str]:
    """Follow a job's events (SSE)

    Args:
        id (str):  Example: j0hzk3m4pqrstvwxyz.
        type_ (str | Unset): An event type, or a prefix ending in "." (job., landing.). Example:
            job..
        since (str | Unset): Resume after this event id (as Last-Event-ID does; the header wins
            when both are sent). "0-0" replays every event still kept. Example: 1733030000000-0.
        last_event_id (str | Unset): Resume after this event id (sent by EventSource when it
            reconnects).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | str]
    """

    kwargs = _get_kwargs(
        id=id,
        type_=type_,
        since=since,
        last_event_id=last_event_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient,
    type_: str | Unset = UNSET,
    since: str | Unset = UNSET,
    last_event_id: str | Unset = UNSET,
) -> Problem | str | None:
    """Follow a job's events (SSE)

    Args:
        id (str):  Example: j0hzk3m4pqrstvwxyz.
        type_ (str | Unset): An event type, or a prefix ending in "." (job., landing.). Example:
            job..
        since (str | Unset): Resume after this event id (as Last-Event-ID does; the header wins
            when both are sent). "0-0" replays every event still kept. Example: 1733030000000-0.
        last_event_id (str | Unset): Resume after this event id (sent by EventSource when it
            reconnects).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | str
    """

    return sync_detailed(
        id=id,
        client=client,
        type_=type_,
        since=since,
        last_event_id=last_event_id,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient,
    type_: str | Unset = UNSET,
    since: str | Unset = UNSET,
    last_event_id: str | Unset = UNSET,
) -> Response[Problem | str]:
    """Follow a job's events (SSE)

    Args:
        id (str):  Example: j0hzk3m4pqrstvwxyz.
        type_ (str | Unset): An event type, or a prefix ending in "." (job., landing.). Example:
            job..
        since (str | Unset): Resume after this event id (as Last-Event-ID does; the header wins
            when both are sent). "0-0" replays every event still kept. Example: 1733030000000-0.
        last_event_id (str | Unset): Resume after this event id (sent by EventSource when it
            reconnects).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | str]
    """

    kwargs = _get_kwargs(
        id=id,
        type_=type_,
        since=since,
        last_event_id=last_event_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient,
    type_: str | Unset = UNSET,
    since: str | Unset = UNSET,
    last_event_id: str | Unset = UNSET,
) -> Problem | str | None:
    """Follow a job's events (SSE)

    Args:
        id (str):  Example: j0hzk3m4pqrstvwxyz.
        type_ (str | Unset): An event type, or a prefix ending in "." (job., landing.). Example:
            job..
        since (str | Unset): Resume after this event id (as Last-Event-ID does; the header wins
            when both are sent). "0-0" replays every event still kept. Example: 1733030000000-0.
        last_event_id (str | Unset): Resume after this event id (sent by EventSource when it
            reconnects).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | str
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            type_=type_,
            since=since,
            last_event_id=last_event_id,
        )
    ).parsed

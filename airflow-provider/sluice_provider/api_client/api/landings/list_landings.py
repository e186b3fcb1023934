from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.landing_page import LandingPage
from ...models.list_landings_state import ListLandingsState
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    source: str | Unset = UNSET,
    state: ListLandingsState | Unset = UNSET,
    path: str | Unset = UNSET,
    cursor: str | Unset = UNSET,
    limit: int | Unset = 50,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["source"] = source

    json_state: str | Unset = UNSET
    if not isinstance(state, Unset):
        json_state = state.value

    params["state"] = json_state

    params["path"] = path

    params["cursor"] = cursor

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/landings",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> LandingPage | Problem | None:
    if response.status_code == 200:
        response_200 = LandingPage.from_dict(response.json())

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
) -> Response[LandingPage | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    source: str | Unset = UNSET,
    state: ListLandingsState | Unset = UNSET,
    path: str | Unset = UNSET,
    cursor: str | Unset = UNSET,
    limit: int | Unset = 50,
) -> Response[LandingPage | Problem]:
    """List landed files and their state

    Args:
        source (str | Unset):
        state (ListLandingsState | Unset):
        path (str | Unset): Only landings whose path contains this text (case-sensitive; a prefix
            works too). The ledger has no index by path: a page looks at up to 5000 landings (newest
            first, within the source and state given) and may hold fewer than `limit` items, even
            none, with a `nextCursor` that goes on from there. Example: 2024-06-01/.
        cursor (str | Unset):
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[LandingPage | Problem]
    """

    kwargs = _get_kwargs(
        source=source,
        state=state,
        path=path,
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
    source: str | Unset = UNSET,
    state: ListLandingsState | Unset = UNSET,
    path: str | Unset = UNSET,
    cursor: str | Unset = UNSET,
    limit: int | Unset = 50,
) -> LandingPage | Problem | None:
    """List landed files and their state

    Args:
        source (str | Unset):
        state (ListLandingsState | Unset):
        path (str | Unset): Only landings whose path contains this text (case-sensitive; a prefix
            works too). The ledger has no index by path: a page looks at up to 5000 landings (newest
            first, within the source and state given) and may hold fewer than `limit` items, even
            none, with a `nextCursor` that goes on from there. Example: 2024-06-01/.
        cursor (str | Unset):
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        LandingPage | Problem
    """

    return sync_detailed(
        client=client,
        source=source,
        state=state,
        path=path,
        cursor=cursor,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    source: str | Unset = UNSET,
    state: ListLandingsState | Unset = UNSET,
    path: str | Unset = UNSET,
    cursor: str | Unset = UNSET,
    limit: int | Unset = 50,
) -> Response[LandingPage | Problem]:
    """List landed files and their state

    Args:
        source (str | Unset):
        state (ListLandingsState | Unset):
        path (str | Unset): Only landings whose path contains this text (case-sensitive; a prefix
            works too). The ledger has no index by path: a page looks at up to 5000 landings (newest
            first, within the source and state given) and may hold fewer than `limit` items, even
            none, with a `nextCursor` that goes on from there. Example: 2024-06-01/.
        cursor (str | Unset):
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[LandingPage | Problem]
    """

    kwargs = _get_kwargs(
        source=source,
        state=state,
        path=path,
        cursor=cursor,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    source: str | Unset = UNSET,
    state: ListLandingsState | Unset = UNSET,
    path: str | Unset = UNSET,
    cursor: str | Unset = UNSET,
    limit: int | Unset = 50,
) -> LandingPage | Problem | None:
    """List landed files and their state

    Args:
        source (str | Unset):
        state (ListLandingsState | Unset):
        path (str | Unset): Only landings whose path contains this text (case-sensitive; a prefix
            works too). The ledger has no index by path: a page looks at up to 5000 landings (newest
            first, within the source and state given) and may hold fewer than `limit` items, even
            none, with a `nextCursor` that goes on from there. Example: 2024-06-01/.
        cursor (str | Unset):
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        LandingPage | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            source=source,
            state=state,
            path=path,
            cursor=cursor,
            limit=limit,
        )
    ).parsed

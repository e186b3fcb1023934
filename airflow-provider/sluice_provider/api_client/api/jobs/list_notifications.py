from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.notification_list import NotificationList
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    failed: bool | Unset = UNSET,
    limit: int | Unset = 100,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["failed"] = failed

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/notifications",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> NotificationList | Problem | None:
    if response.status_code == 200:
        response_200 = NotificationList.from_dict(response.json())

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
) -> Response[NotificationList | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    failed: bool | Unset = UNSET,
    limit: int | Unset = 100,
) -> Response[NotificationList | Problem]:
    """List recent webhook deliveries

    Args:
        failed (bool | Unset): Only deliveries that failed for good (true/false).
        limit (int | Unset): How many to list, newest first. Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[NotificationList | Problem]
    """

    kwargs = _get_kwargs(
        failed=failed,
        limit=limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    failed: bool | Unset = UNSET,
    limit: int | Unset = 100,
) -> NotificationList | Problem | None:
    """List recent webhook deliveries

    Args:
        failed (bool | Unset): Only deliveries that failed for good (true/false).
        limit (int | Unset): How many to list, newest first. Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        NotificationList | Problem
    """

    return sync_detailed(
        client=client,
        failed=failed,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    failed: bool | Unset = UNSET,
    limit: int | Unset = 100,
) -> Response[NotificationList | Problem]:
    """List recent webhook deliveries

    Args:
        failed (bool | Unset): Only deliveries that failed for good (true/false).
        limit (int | Unset): How many to list, newest first. Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[NotificationList | Problem]
    """

    kwargs = _get_kwargs(
        failed=failed,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    failed: bool | Unset = UNSET,
    limit: int | Unset = 100,
) -> NotificationList | Problem | None:
    """List recent webhook deliveries

    Args:
        failed (bool | Unset): Only deliveries that failed for good (true/false).
        limit (int | Unset): How many to list, newest first. Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        NotificationList | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            failed=failed,
            limit=limit,
        )
    ).parsed

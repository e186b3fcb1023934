from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.landing import Landing
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    fingerprint: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/landings/{fingerprint}/readmit".format(
            fingerprint=quote(str(fingerprint), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Landing | Problem | None:
    if response.status_code == 200:
        response_200 = Landing.from_dict(response.json())

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

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

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
) -> Response[Landing | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    fingerprint: str,
    *,
    client: AuthenticatedClient,
) -> Response[Landing | Problem]:
    """Re-admit a quarantined landing once its file is fixed

     Moves the file back from the quarantine location to where it landed (removing its `.reason.txt`),
    then makes the landing ready: the watcher checks it again at the door and batches it at once. Who
    re-admitted it and when are recorded on the landing (`readmittedBy`, `readmittedAt`) and in its
    `landing.ready` event. Without a quarantine location the file stayed in place and only the ledger
    changes. Needs `jobs:write`: re-admitting starts a job for the file, as submitting one does, and
    nothing here needs more (no setting or queue is changed).

    Args:
        fingerprint (str):  Example: 3f0c9d3b2a4e5f60718293a4b5c6d7e8f9012345.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Landing | Problem]
    """

    kwargs = _get_kwargs(
        fingerprint=fingerprint,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    fingerprint: str,
    *,
    client: AuthenticatedClient,
) -> Landing | Problem | None:
    """Re-admit a quarantined landing once its file is fixed

     Moves the file back from the quarantine location to where it landed (removing its `.reason.txt`),
    then makes the landing ready: the watcher checks it again at the door and batches it at once. Who
    re-admitted it and when are recorded on the landing (`readmittedBy`, `readmittedAt`) and in its
    `landing.ready` event. Without a quarantine location the file stayed in place and only the ledger
    changes. Needs `jobs:write`: re-admitting starts a job for the file, as submitting one does, and
    nothing here needs more (no setting or queue is changed).

    Args:
        fingerprint (str):  Example: 3f0c9d3b2a4e5f60718293a4b5c6d7e8f9012345.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Landing | Problem
    """

    return sync_detailed(
        fingerprint=fingerprint,
        client=client,
    ).parsed


async def asyncio_detailed(
    fingerprint: str,
    *,
    client: AuthenticatedClient,
) -> Response[Landing | Problem]:
    """Re-admit a quarantined landing once its file is fixed

     Moves the file back from the quarantine location to where it landed (removing its `.reason.txt`),
    then makes the landing ready: the watcher checks it again at the door and batches it at once. Who
    re-admitted it and when are recorded on the landing (`readmittedBy`, `readmittedAt`) and in its
    `landing.ready` event. Without a quarantine location the file stayed in place and only the ledger
    changes. Needs `jobs:write`: re-admitting starts a job for the file, as submitting one does, and
    nothing here needs more (no setting or queue is changed).

    Args:
        fingerprint (str):  Example: 3f0c9d3b2a4e5f60718293a4b5c6d7e8f9012345.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Landing | Problem]
    """

    kwargs = _get_kwargs(
        fingerprint=fingerprint,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    fingerprint: str,
    *,
    client: AuthenticatedClient,
) -> Landing | Problem | None:
    """Re-admit a quarantined landing once its file is fixed

     Moves the file back from the quarantine location to where it landed (removing its `.reason.txt`),
    then makes the landing ready: the watcher checks it again at the door and batches it at once. Who
    re-admitted it and when are recorded on the landing (`readmittedBy`, `readmittedAt`) and in its
    `landing.ready` event. Without a quarantine location the file stayed in place and only the ledger
    changes. Needs `jobs:write`: re-admitting starts a job for the file, as submitting one does, and
    nothing here needs more (no setting or queue is changed).

    Args:
        fingerprint (str):  Example: 3f0c9d3b2a4e5f60718293a4b5c6d7e8f9012345.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Landing | Problem
    """

    return (
        await asyncio_detailed(
            fingerprint=fingerprint,
            client=client,
        )
    ).parsed

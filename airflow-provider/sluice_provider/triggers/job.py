"""SluiceJobTrigger: waits in the triggerer until a Sluice job ends.

It asks Sluice for the job every ``poll_interval`` seconds and fires one event when the job is
succeeded, failed or cancelled, or when ``end_by`` passes first. While Sluice cannot be reached
it keeps asking, waiting longer each time (up to a minute, never past ``end_by``), and logs each
miss ("Sluice unreachable (...)", or "Sluice answered 503 ..." when it answered); the job itself
goes on in Sluice meanwhile. A request Sluice refuses (the API key was revoked, the job is gone)
ends the wait with status "error", and so does a 500 that persists (`ServerErrorRun`: ten
answers in a row over ten minutes or more), naming the last answer.

The event payload: ``{"status": "succeeded" | "failed" | "cancelled" | "timeout" | "error",
"job_id": ..., "job": <JobView dict, or None if never read>, "message": ...}``.

When a user marks the deferred task failed or succeeded, or clears it, Airflow's triggerer
calls `on_kill` (not on a triggerer restart or a trigger timeout); with ``cancel_on_kill`` it
asks Sluice to cancel the job.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

from airflow.sdk.exceptions import AirflowException
from airflow.triggers.base import BaseTrigger, TriggerEvent

from sluice_provider.exceptions import (
    ServerErrorRun,
    SluiceRequestRejected,
    sluice_unavailable,
    unavailable_reason,
)
from sluice_provider.hooks.sluice import ENDED_STATES, SluiceHook

#: The longest wait between two polls while Sluice is unreachable.
MAX_UNREACHABLE_DELAY = 60.0


class SluiceJobTrigger(BaseTrigger):
    """Fires once when the Sluice job ``job_id`` ends.

    :param job_id: the Sluice job to follow.
    :param sluice_conn_id: the Airflow connection to Sluice.
    :param poll_interval: seconds between two looks at the job.
    :param end_by: ISO 8601 time after which the trigger stops waiting and fires "timeout";
        None waits as long as the job runs.
    :param cancel_on_kill: cancel the job when a user kills the deferred task.
    """

    def __init__(
        self,
        job_id: str,
        sluice_conn_id: str = SluiceHook.default_conn_name,
        poll_interval: float = 10.0,
        end_by: str | None = None,
        cancel_on_kill: bool = True,
    ) -> None:
        super().__init__()
        self.job_id = job_id
        self.sluice_conn_id = sluice_conn_id
        self.poll_interval = float(poll_interval)
        self.end_by = end_by
        self.cancel_on_kill = cancel_on_kill
        self._end_by = _parse_time(end_by) if end_by else None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "job_id": self.job_id,
                "sluice_conn_id": self.sluice_conn_id,
                "poll_interval": self.poll_interval,
                "end_by": self.end_by,
                "cancel_on_kill": self.cancel_on_kill,
            },
        )

    def _hook(self) -> SluiceHook:
        # The trigger has its own patience for an unreachable Sluice: no retries inside a poll.
        return SluiceHook(sluice_conn_id=self.sluice_conn_id, retry_limit=0)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        # The event is worked out first and yielded last: once it is yielded nothing after the
        # yield is sure to run (dag.test() takes the first event and drops the generator).
        payload = await self._wait()
        yield TriggerEvent(payload)

    async def _wait(self) -> dict[str, Any]:
        hook = self._hook()
        job: dict[str, Any] | None = None
        misses = 0
        server_errors = ServerErrorRun()
        try:
            while True:
                try:
                    job = await hook.async_get_job(self.job_id)
                    misses = 0
                    server_errors.note(None)
                except SluiceRequestRejected as error:
                    return self._event("error", job, f"Sluice refused to show job {self.job_id}: {error}")
                except AirflowException as error:
                    if not sluice_unavailable(error):
                        # The connection itself is wrong (missing, no host, no key): waiting won't fix it.
                        return self._event("error", job, f"cannot follow Sluice job {self.job_id}: {error}")
                    if server_errors.note(error):
                        return self._event("error", job, server_errors.gave_up(self.job_id, error))
                    # Unreachable, or an answer that means "later" (429, 502-504) or a server
                    # error not yet persistent: the job goes on in Sluice, so keep looking.
                    misses += 1
                    delay = self._delay_after_miss(misses)
                    if delay is None:
                        return self._event(
                            "timeout",
                            job,
                            f"Sluice job {self.job_id} did not end by {self.end_by} "
                            f"(at the end: {unavailable_reason(error)})",
                        )
                    self.log.warning(
                        "%s; polling job %s again in %s s",
                        unavailable_reason(error),
                        self.job_id,
                        f"{delay:g}",
                    )
                    await asyncio.sleep(delay)
                    continue

                state = job.get("state")
                if state in ENDED_STATES:
                    return self._event(state, job, _ending(job))
                delay = self._bounded(self.poll_interval)
                if delay is None:
                    return self._event("timeout", job, f"Sluice job {self.job_id} was still {state} at {self.end_by}")
                self.log.info(
                    "Sluice job %s is %s (stage %s); next look in %s s",
                    self.job_id,
                    state,
                    job.get("stage"),
                    f"{delay:g}",
                )
                await asyncio.sleep(delay)
        finally:
            await hook.aclose()

    async def on_kill(self) -> None:
        if not self.cancel_on_kill:
            self.log.info("The task was killed; Sluice job %s goes on (cancel_on_kill is off)", self.job_id)
            return
        hook = SluiceHook(sluice_conn_id=self.sluice_conn_id, retry_limit=2)
        try:
            self.log.info("The task was killed; asking Sluice to cancel job %s", self.job_id)
            await hook.async_cancel_job(self.job_id)
        finally:
            await hook.aclose()

    def _delay_after_miss(self, misses: int) -> float | None:
        growing = min(self.poll_interval * (2 ** (misses - 1)), MAX_UNREACHABLE_DELAY)
        return self._bounded(max(growing, 1.0))

    def _bounded(self, delay: float) -> float | None:
        """``delay``, shortened so as not to sleep past ``end_by``; None once ``end_by`` has passed."""
        if self._end_by is None:
            return delay
        left = (self._end_by - datetime.now(timezone.utc)).total_seconds()
        if left <= 0:
            return None
        return min(delay, left)

    def _event(self, status: str, job: dict[str, Any] | None, message: str) -> dict[str, Any]:
        return {"status": status, "job_id": self.job_id, "job": job, "message": message}


def _ending(job: dict[str, Any]) -> str:
    state = job.get("state")
    if state == "succeeded":
        rows = (job.get("output") or {}).get("rowsOut")
        return f"Sluice job {job.get('id')} succeeded" + (f" ({rows} rows out)" if rows is not None else "")
    failure = job.get("failure") or {}
    reason = failure.get("message") or _last_reason(job) or "no reason given"
    return f"Sluice job {job.get('id')} {state} ({failure.get('class', state)}): {reason}"


def _last_reason(job: dict[str, Any]) -> str | None:
    history = job.get("history") or []
    return history[-1].get("reason") if history else None


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)

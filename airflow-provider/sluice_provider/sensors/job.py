"""SluiceJobSensor: wait for one Sluice job, or for the next succeeded job of a pipeline.

Two modes, one of ``job_id`` or ``pipeline``:

- ``job_id`` (templated, e.g. ``"{{ ti.xcom_pull('submit', key='job_id') }}"``): succeeds when
  that job has succeeded, fails at once (no retries) with SluiceJobEnded when it failed or was cancelled.
  Deferrable by default: the wait runs in the triggerer (SluiceJobTrigger, which never cancels
  the job: the sensor only watches it).
- ``pipeline``: succeeds with the first succeeded job of that pipeline that ended at or after
  ``since`` (templated; default: the DAG run's data interval start, else its logical date,
  else its run_after), and returns that job's id (XCom ``return_value``). This mode pokes
  (``mode="reschedule"`` frees the worker between pokes): Sluice's job list is cheap to ask
  and there is no single job to follow in the triggerer. Only jobs created at most
  ``lookback`` before ``since`` are considered, which bounds how far back it pages.

While Sluice is unreachable a poke counts as "not yet" (and says why in the log); the sensor's
``timeout`` still applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import AirflowException, AirflowSensorTimeout

from sluice_provider.exceptions import SluiceJobEnded, sluice_unavailable, unavailable_reason
from sluice_provider.hooks.sluice import SluiceHook
from sluice_provider.triggers.job import SluiceJobTrigger

if TYPE_CHECKING:
    from airflow.sdk import Context


class SluiceJobSensor(BaseSensorOperator):
    """Waits for a Sluice job to succeed (see the module docstring).

    :param job_id: the job to wait for. Templated.
    :param pipeline: wait for the next succeeded job of this pipeline instead. Templated.
    :param since: pipeline mode: the job must have ended at or after this time (ISO 8601 text or
        a datetime). Templated.
    :param lookback: pipeline mode: how long before ``since`` a job may have been created.
    :param sluice_conn_id: the Airflow connection to Sluice.
    :param deferrable: job_id mode: wait in the triggerer (default) instead of poking.
    """

    template_fields: Sequence[str] = ("job_id", "pipeline", "since")
    ui_color = "#cfe8f3"

    def __init__(
        self,
        *,
        job_id: str | None = None,
        pipeline: str | None = None,
        since: str | datetime | None = None,
        lookback: timedelta = timedelta(days=1),
        sluice_conn_id: str = SluiceHook.default_conn_name,
        deferrable: bool = True,
        poke_interval: float | timedelta = 30.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(poke_interval=poke_interval, **kwargs)
        if bool(job_id) == bool(pipeline):
            raise ValueError("SluiceJobSensor needs exactly one of job_id and pipeline")
        self.job_id = job_id
        self.pipeline = pipeline
        self.since = since
        self.lookback = lookback
        self.sluice_conn_id = sluice_conn_id
        self.deferrable = deferrable

    @cached_property
    def hook(self) -> SluiceHook:
        return SluiceHook(sluice_conn_id=self.sluice_conn_id)

    def execute(self, context: Context) -> Any:
        if self.job_id and self.deferrable:
            first = self.poke(context)
            if first:
                return first.xcom_value if isinstance(first, PokeReturnValue) else self.job_id
            end_by = datetime.now(timezone.utc) + timedelta(seconds=self.timeout)
            self.defer(
                trigger=SluiceJobTrigger(
                    job_id=str(self.job_id),
                    sluice_conn_id=self.sluice_conn_id,
                    poll_interval=self.poke_interval,
                    end_by=end_by.isoformat(),
                    cancel_on_kill=False,
                ),
                method_name="execute_complete",
            )
        return super().execute(context)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> str:
        status = event.get("status")
        job = event.get("job") or {"id": event.get("job_id")}
        if status == "succeeded":
            self.log.info("%s", event.get("message"))
            return str(event["job_id"])
        if status in ("failed", "cancelled"):
            raise _job_failed(job)
        if status == "timeout":
            raise AirflowSensorTimeout(event.get("message") or f"Sluice job {event.get('job_id')} did not end in time")
        raise AirflowException(
            event.get("message") or f"waiting for Sluice job {event.get('job_id')} ended with {status}"
        )

    def poke(self, context: Context) -> bool | PokeReturnValue:
        try:
            if self.job_id:
                return self._poke_job(str(self.job_id))
            return self._poke_pipeline(str(self.pipeline), self._since(context))
        except AirflowException as error:
            if not sluice_unavailable(error):
                raise  # refused (401, 403, 404, ...), a failed job, a wrong connection
            self.log.warning("%s; will look again", unavailable_reason(error))
            return False

    def _poke_job(self, job_id: str) -> bool | PokeReturnValue:
        job = self.hook.get_job(job_id)
        state = job.get("state")
        if state == "succeeded":
            self.log.info("Sluice job %s succeeded", job_id)
            return PokeReturnValue(is_done=True, xcom_value=job_id)
        if state in ("failed", "cancelled"):
            raise _job_failed(job)
        self.log.info("Sluice job %s is %s (stage %s)", job_id, state, job.get("stage"))
        return False

    def _poke_pipeline(self, pipeline: str, since: datetime) -> bool | PokeReturnValue:
        oldest_created = since - self.lookback
        found: tuple[datetime, dict[str, Any]] | None = None
        for job in self.hook.iter_jobs(pipeline=pipeline, state="succeeded"):
            if _parse_time(job["createdAt"]) < oldest_created:
                break  # newest first: every later one is older still
            ended = _ended_at(job)
            if ended >= since and (found is None or ended < found[0]):
                found = (ended, job)
        if found is None:
            self.log.info("No job of pipeline %s has succeeded since %s yet", pipeline, since.isoformat())
            return False
        ended, job = found
        self.log.info("Sluice job %s of pipeline %s succeeded at %s", job["id"], pipeline, ended.isoformat())
        return PokeReturnValue(is_done=True, xcom_value=str(job["id"]))

    def _since(self, context: Context) -> datetime:
        value: Any = self.since
        if value in (None, ""):
            value = context.get("data_interval_start") or context.get("logical_date")
            if value is None and context.get("dag_run") is not None:
                value = context["dag_run"].run_after
        if value is None:
            raise AirflowException("SluiceJobSensor needs `since` in pipeline mode when the DAG run has no date")
        return _parse_time(value) if isinstance(value, str) else _aware(value)


def _job_failed(job: dict[str, Any]) -> SluiceJobEnded:
    state = job.get("state") or "failed"
    failure = job.get("failure") or {}
    history = job.get("history") or []
    reason = failure.get("message") or (history[-1].get("reason") if history else None) or "no reason given"
    return SluiceJobEnded(str(job.get("id")), str(failure.get("class") or state), str(reason), failure.get("logTail"))


def _ended_at(job: dict[str, Any]) -> datetime:
    for change in reversed(job.get("history") or []):
        if change.get("state") == "succeeded" and change.get("at"):
            return _parse_time(change["at"])
    return _parse_time(job["updatedAt"])


def _parse_time(value: str) -> datetime:
    return _aware(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

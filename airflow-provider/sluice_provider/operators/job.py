"""SluiceSubmitJobOperator: run one Sluice job from a task and wait for it to end.

    SluiceSubmitJobOperator(
        task_id="status_of_site_7",
        pipeline="meter-by-status",
        parameters={"site": "site-007", "day": "{{ ds }}"},   # the job's parameters, templated
    )

What it does:

- Submits the job with an Idempotency-Key made from the task instance (DAG, task, run id, map
  index) and a digest of the rendered request (pipeline, parameters, inputs, priority, labels).
  Every try of the task instance that sends the same request sends the same key, so a retry
  after a worker died adopts the job the first try submitted instead of starting another one; if
  that job failed or was cancelled, it asks Sluice to retry it. (A succeeded job is adopted as it
  is: to run the pipeline again, start a new DAG run.) A try whose request differs (a parameter
  fixed before clearing the task, a template that renders otherwise) submits a new job.
- Pushes the job id to XCom right away (the "Sluice job" link works while the task waits).
- Waits: deferrable (the default) hands the wait to SluiceJobTrigger in the triggerer and frees
  the worker slot; ``deferrable=False`` polls from the worker; ``wait_for_completion=False``
  returns as soon as Sluice has accepted the job.
- On success pushes the XComs ``job_id``, ``state``, ``rows_in``, ``rows_out``, ``lake_path``
  (the committed run's URI, ``output.runUri``), ``sql_loads`` (``loads``) and
  ``spark_ui_url``, adds what the job wrote to the asset events of the task's outlets
  (`sluice_provider.assets`), and returns the job (a JobView dict).
- On failure writes the driver log tail to the task log and raises SluiceJobFailed naming
  Sluice's failure class and reason. A ``user`` or ``data`` failure, or a job cancelled in Sluice,
  fails the task without Airflow retries (SluiceJobFailedNoRetry): a retry would only ask Sluice
  to run it again. ``platform`` and ``timeout`` failures are retried. Clearing the task runs it
  again: the same job (a new attempt) if the request is unchanged, else a new job.
- Time limits: ``timeout`` (from the submit) and Airflow's ``execution_timeout`` (from the
  task's start). Airflow 3 does not apply ``execution_timeout`` while a task is deferred, so the
  deferred wait ends at the earlier of the two by itself; then the operator cancels the job and
  fails the task. Waiting in the worker, ``timeout`` ends the poll and Airflow's
  ``execution_timeout`` kills the task, whose ``on_kill`` cancels the job.
- While Sluice cannot answer (unreachable, or 429/5xx such as a 503 while its Redis is away, for
  longer than the hook's own retries) the wait goes on, in the worker as in the triggerer: the
  job goes on in Sluice. The worker logs it once per outage; the time limits above still bound
  the wait. A refusal (401, 403, 404, ...) fails at once, and so does a 500 that persists (ten
  answers in a row over ten minutes or more: a bug in Sluice, which waiting does not fix).
- When the task is killed (marked failed, cleared) it cancels the job (``cancel_on_kill``).

The job's parameters come from ``parameters`` (templated, mappable: ``.expand(parameters=[...])``)
and, as a convenience, from ``params``, BaseOperator's argument for Airflow Params, which DAG
authors often reach for. The operator metaclass merges the DAG's params into the task's before
``__init__`` sees them, tagging each with its source; the operator keeps the task's own (source
"task", the way the standard provider's HITL operator does it), so DAG level params never reach
the job. ``.expand(params=[...])`` updates the DAG's Param of the same name instead (its source
stays "dag"), so a DAG-sourced param whose value differs from the DAG's is kept too; a mapped
value equal to the DAG's default cannot be told from the default, hence ``parameters`` for
mapping. Values from ``params`` are rendered as templates, being copied into ``parameters``; a
key in both takes ``parameters``' value. A job parameter given through ``params`` cannot refer
to a DAG param of the same name through ``{{ params.<name> }}``; through ``parameters`` it can.
Both are taken as the DAG file gives them: a run's ``dag_run.conf`` changes a job parameter only
through a template (``{{ params.<name> }}``, ``{{ dag_run.conf[...] }}``).

The idempotency key makes Airflow's own ResumableJobMixin unnecessary here: the mixin stores
the job id after submitting, which leaves a gap a dead worker can fall into; Sluice derives the
job from the key, so there is no gap.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import Asset, BaseOperator, Param, ParamsDict
from airflow.sdk.definitions._internal.types import is_arg_set
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from sluice_provider.assets import outlet_event_extra
from sluice_provider.exceptions import (
    NOT_RETRIED_FAILURE_CLASSES,
    ServerErrorRun,
    SluiceRequestRejected,
    job_failed,
    sluice_unavailable,
    unavailable_reason,
)
from sluice_provider.hooks.sluice import ENDED_STATES, SluiceHook, SubmittedJob, submit_body
from sluice_provider.links import XCOM_JOB_ID, XCOM_SPARK_UI_URL, SluiceJobLink, SparkUiLink
from sluice_provider.triggers.job import SluiceJobTrigger

if TYPE_CHECKING:
    from airflow.sdk import Context

_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_KEY_PART = 40
# The deferral's own timeout is only a backstop for a trigger that never runs (no triggerer):
# the trigger itself fires "timeout" at end_by, so that the operator can cancel the job.
_DEFER_BACKSTOP = timedelta(minutes=5)


def idempotency_key(
    dag_id: str, task_id: str, run_id: str, map_index: int = -1, request: Mapping[str, Any] | None = None
) -> str:
    """The Idempotency-Key of one task instance's job request: the same for every try that sends
    the same request.

    ``airflow:<dag>:<task>:<run>[:m<index>]:<digest>[:<request digest>]``: the readable parts are
    cut and cleaned to what Sluice accepts (1-200 of A-Z a-z 0-9 . _ : -); the sha256 digest of
    the exact values keeps two task instances apart even when their readable parts collide (and
    all the keys of one task instance share the prefix up to it). The request digest (16 hex
    characters of the sha256 of ``request``, the submit's body as `submit_body` makes it) makes
    a changed request a new key: Sluice refuses a key it already holds for another body (409),
    which would leave the task instance unable to submit again.
    """
    exact = json.dumps([dag_id, task_id, run_id, int(map_index)], separators=(",", ":"))
    digest = hashlib.sha256(exact.encode("utf-8")).hexdigest()[:32]
    parts = [_KEY_UNSAFE.sub("_", part)[:_KEY_PART] or "_" for part in (dag_id, task_id, run_id)]
    if map_index is not None and int(map_index) >= 0:
        parts.append(f"m{int(map_index)}")
    parts.append(digest)
    if request is not None:
        parts.append(request_digest(request))
    # At most 8 + 3 * 41 + 12 (a 32-bit map index) + 33 + 17 = 193 characters.
    return ":".join(["airflow", *parts])


def request_digest(request: Mapping[str, Any]) -> str:
    """16 hex characters of the sha256 of ``request`` as canonical JSON (keys sorted)."""
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def job_parameters(params: Mapping[str, Any] | None, dag_params: ParamsDict | None = None) -> dict[str, Any]:
    """The job's parameters out of the ``params`` the operator received: the task's own only.

    ``dag_params`` (the DAG's params) lets a param tagged as the DAG's through, when its value is
    not the DAG's: what ``.expand(params=[...])`` leaves when it maps a key the DAG has too.
    """
    if not params:
        return {}
    if isinstance(params, ParamsDict):
        values = {
            key: param.value
            for key, param in params.items()
            if param.source == "task" or (param.source == "dag" and _not_the_dags(key, param, dag_params))
        }
    else:
        values = {key: value.value if isinstance(value, Param) else value for key, value in params.items()}
    missing = sorted(key for key, value in values.items() if not is_arg_set(value))
    if missing:
        raise ValueError(f"job parameters need a value: {', '.join(missing)}")
    return values


def _not_the_dags(key: str, param: Param, dag_params: ParamsDict | None) -> bool:
    if dag_params is None:
        return False
    if key not in dag_params:
        return True
    return param.value != dag_params.get_param(key).value


class SluiceSubmitJobOperator(BaseOperator):
    """Submits a Sluice job and waits for it to end (see the module docstring).

    :param pipeline: the Sluice pipeline to run. Templated.
    :param parameters: the job's parameters (the pipeline's declared ``parameters``), a mapping
        (or an XComArg, or a template that renders to one). Templated; mappable.
    :param params: job parameters too, as Airflow Params of the task (the DAG's are not sent);
        a key in ``parameters`` as well takes its value from there. Templated.
    :param inputs: files or folders under Sluice's landing root; None lets the pipeline use its
        default input paths. Templated.
    :param priority: the job's priority, 1 (runs first) to 1000; None keeps the pipeline's.
    :param labels: free-form string labels on the job. Templated.
    :param sluice_conn_id: the Airflow connection to Sluice (type ``sluice``).
    :param deferrable: wait in the triggerer (True, the default) or in the worker.
    :param wait_for_completion: wait for the job to end (True) or return once it is submitted.
    :param poll_interval: seconds between two looks at the job.
    :param timeout: seconds (or a timedelta) to wait for the job before cancelling it and failing
        the task; None waits as long as Sluice runs it (Sluice's own stage timeouts apply). A
        deferred wait also ends, the same way, at the task's ``execution_timeout``.
    :param cancel_on_kill: cancel the job when the task is killed or marked failed.
    """

    template_fields: Sequence[str] = ("pipeline", "parameters", "inputs", "labels")
    template_fields_renderers = {"parameters": "json", "inputs": "json", "labels": "json"}
    operator_extra_links = (SluiceJobLink(), SparkUiLink())
    ui_color = "#cfe8f3"

    def __init__(
        self,
        *,
        pipeline: str,
        parameters: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        inputs: Sequence[str] | None = None,
        priority: int | None = None,
        labels: Mapping[str, str] | None = None,
        sluice_conn_id: str = SluiceHook.default_conn_name,
        deferrable: bool = True,
        wait_for_completion: bool = True,
        poll_interval: float = 10.0,
        timeout: float | timedelta | None = None,
        cancel_on_kill: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(params=params, **kwargs)
        if poll_interval <= 0:
            raise ValueError("poll_interval must be more than 0 seconds")
        self.pipeline = pipeline
        from_params = job_parameters(params, self._dag.params if self._dag is not None else None)
        if parameters is None or isinstance(parameters, Mapping):
            self.parameters: Any = {**from_params, **(parameters or {})}
        elif from_params:
            raise ValueError(
                "job parameters come from parameters= (here an XComArg or a template) or from params=, "
                f"not both: move {', '.join(sorted(from_params))} into parameters"
            )
        else:
            self.parameters = parameters  # an XComArg or a template: a mapping once rendered
        self.inputs = list(inputs) if inputs is not None else None
        self.priority = priority
        self.labels = dict(labels) if labels is not None else None
        self.sluice_conn_id = sluice_conn_id
        self.deferrable = deferrable
        self.wait_for_completion = wait_for_completion
        self.poll_interval = float(poll_interval)
        self.timeout = timeout if isinstance(timeout, timedelta) or timeout is None else timedelta(seconds=timeout)
        self.cancel_on_kill = cancel_on_kill
        # Set while running; the extra links read them on the worker.
        self.job_id: str | None = None
        self.spark_ui_url: str | None = None

    @cached_property
    def hook(self) -> SluiceHook:
        return SluiceHook(sluice_conn_id=self.sluice_conn_id)

    # ------------------------------------------------------------------------------- execute

    def execute(self, context: Context) -> dict[str, Any]:
        ti = context["ti"]
        request = submit_body(self.pipeline, self._parameters(), self.inputs, self.priority, self.labels)
        key = idempotency_key(ti.dag_id, ti.task_id, ti.run_id, ti.map_index, request)
        try:
            submitted = self.hook.submit_job(
                request["pipeline"],
                parameters=request["parameters"],
                inputs=request.get("inputs"),
                priority=request.get("priority"),
                labels=request.get("labels"),
                idempotency_key=key,
            )
        except SluiceRequestRejected as error:
            if error.status == 409:
                raise _key_conflict(error, key) from None
            raise
        job = self._adopt(submitted, key)
        self.job_id = str(job["id"])
        ti.xcom_push(key=XCOM_JOB_ID, value=self.job_id)
        if not self.wait_for_completion:
            self.log.info("Not waiting for Sluice job %s (wait_for_completion is off)", self.job_id)
            return job
        if job.get("state") in ENDED_STATES:
            return self._ended(context, job)
        if self.deferrable:
            end_by, limit = self._deferred_end(ti)
            self.defer(
                trigger=SluiceJobTrigger(
                    job_id=self.job_id,
                    sluice_conn_id=self.sluice_conn_id,
                    poll_interval=self.poll_interval,
                    end_by=end_by.isoformat() if end_by else None,
                    cancel_on_kill=self.cancel_on_kill,
                ),
                method_name="execute_complete",
                kwargs={"limit": limit} if limit else None,
                timeout=end_by - datetime.now(timezone.utc) + _DEFER_BACKSTOP if end_by else None,
            )
        # In the worker Airflow applies execution_timeout itself (and on_kill cancels the job).
        end_by = datetime.now(timezone.utc) + self.timeout if self.timeout is not None else None
        return self._poll(context, job, end_by)

    def execute_complete(self, context: Context, event: dict[str, Any], limit: str | None = None) -> dict[str, Any]:
        """Where a deferred task resumes, with the SluiceJobTrigger's event (and, from `execute`,
        which time limit the trigger's end_by is; dag.test() drops it, so it is worked out again
        when missing)."""
        self.job_id = str(event["job_id"])
        status = event.get("status")
        job = event.get("job") or {"id": self.job_id}
        if status in ENDED_STATES:
            return self._ended(context, job)
        if status == "timeout":
            self._time_out(job, limit or self._shorter_limit())
        raise AirflowException(event.get("message") or f"waiting for Sluice job {self.job_id} ended with {status}")

    def on_kill(self) -> None:
        if not (self.cancel_on_kill and self.job_id):
            return
        self.log.info("The task was killed; asking Sluice to cancel job %s", self.job_id)
        self.hook.cancel_job(self.job_id)

    # ------------------------------------------------------------------------------ helpers

    def _parameters(self) -> dict[str, Any]:
        """The job's parameters, rendered: ``parameters`` must be a mapping by now."""
        parameters = self.parameters if self.parameters is not None else {}
        if not isinstance(parameters, Mapping):
            raise AirflowFailException(
                f"parameters must be a mapping of parameter names to values, got {type(parameters).__name__} "
                f"{str(parameters)[:200]!r} (a template renders to text unless the DAG sets "
                "render_template_as_native_obj=True)"
            )
        return dict(parameters)

    def _deferred_end(self, ti: Any) -> tuple[datetime | None, str | None]:
        """When a deferred wait must end, and the limit that sets it (None: the operator's timeout).

        Airflow 3 does not apply execution_timeout while a task is deferred, so the trigger must
        end the wait at the earlier of ``timeout`` (from now) and ``execution_timeout`` (from the
        task's start); the operator then cancels the job, as for ``timeout``.
        """
        now = datetime.now(timezone.utc)
        ends: list[tuple[datetime, str | None]] = []
        if self.timeout is not None:
            ends.append((now + self.timeout, None))
        if self.execution_timeout is not None:
            started = getattr(ti, "start_date", None) or now
            ends.append((started + self.execution_timeout, f"the task's execution_timeout of {self.execution_timeout}"))
        if not ends:
            return None, None
        return min(ends, key=lambda end: end[0])

    def _shorter_limit(self) -> str | None:
        """The limit a deferred wait most likely ended at, by length (None: ``timeout``)."""
        if self.execution_timeout is not None and (self.timeout is None or self.execution_timeout <= self.timeout):
            return f"the task's execution_timeout of {self.execution_timeout}"
        return None

    def _adopt(self, submitted: SubmittedJob, key: str) -> dict[str, Any]:
        job = submitted.job
        if submitted.created:
            self.log.info("Submitted Sluice job %s (pipeline %s, Idempotency-Key %s)", job["id"], self.pipeline, key)
            return job
        state = job.get("state")
        self.log.info(
            "Sluice already has job %s for this task instance (Idempotency-Key %s); it is %s: adopting it",
            job["id"],
            key,
            state,
        )
        if state in ("failed", "cancelled"):
            self.log.info("Sluice job %s is %s: asking Sluice to retry it", job["id"], state)
            job = self.hook.retry_job(str(job["id"]))
        return job

    def _poll(self, context: Context, job: dict[str, Any], end_by: datetime | None) -> dict[str, Any]:
        job_id = str(job["id"])
        outage_since: datetime | None = None  # when Sluice stopped answering; None while it answers
        server_errors = ServerErrorRun()
        while job.get("state") not in ENDED_STATES:
            left = (end_by - datetime.now(timezone.utc)).total_seconds() if end_by else None
            if left is not None and left <= 0:
                self._time_out(job)
            if outage_since is None:
                self.log.info("Sluice job %s is %s (stage %s)", job_id, job.get("state"), job.get("stage"))
            time.sleep(min(self.poll_interval, left) if left is not None else self.poll_interval)
            try:
                job = self.hook.get_job(job_id)
                server_errors.note(None)
            except AirflowException as error:
                if not sluice_unavailable(error):
                    raise  # refused (401, 403, 404, ...): no wait can change that
                if server_errors.note(error):
                    raise AirflowException(server_errors.gave_up(job_id, error)) from None
                # The hook has retried already; the job goes on in Sluice, so keep looking (as
                # SluiceJobTrigger and SluiceJobSensor do) until the timeout. Once in the log.
                if outage_since is None:
                    outage_since = datetime.now(timezone.utc)
                    self.log.warning(
                        "%s; still waiting for job %s, which goes on in Sluice",
                        unavailable_reason(error),
                        job_id,
                    )
                continue
            if outage_since is not None:
                self.log.info(
                    "Sluice answers again after %.0f s; job %s is %s",
                    (datetime.now(timezone.utc) - outage_since).total_seconds(),
                    job_id,
                    job.get("state"),
                )
                outage_since = None
        return self._ended(context, job)

    def _ended(self, context: Context, job: dict[str, Any]) -> dict[str, Any]:
        ti = context["ti"]
        ti.xcom_push(key="state", value=job.get("state"))
        if job.get("state") != "succeeded":
            self._fail(job)
        output = job.get("output") or {}
        ti.xcom_push(key=XCOM_JOB_ID, value=str(job["id"]))
        ti.xcom_push(key="rows_in", value=output.get("rowsIn"))
        ti.xcom_push(key="rows_out", value=output.get("rowsOut"))
        ti.xcom_push(key="lake_path", value=output.get("runUri"))
        ti.xcom_push(key="sql_loads", value=job.get("loads") or [])
        self.spark_ui_url = (job.get("run") or {}).get("uiUrl")
        ti.xcom_push(key=XCOM_SPARK_UI_URL, value=self.spark_ui_url)
        self._annotate_outlets(context, job)
        self.log.info(
            "Sluice job %s succeeded: %s rows in, %s rows out, committed to %s",
            job["id"],
            output.get("rowsIn"),
            output.get("rowsOut"),
            output.get("runUri"),
        )
        return job

    def _annotate_outlets(self, context: Context, job: dict[str, Any]) -> None:
        events = context.get("outlet_events")
        if events is None:
            return
        for outlet in self.outlets or []:
            if isinstance(outlet, Asset):
                events[outlet].extra.update(outlet_event_extra(outlet.uri, job))

    def _fail(self, job: dict[str, Any]) -> None:
        job_id = str(job["id"])
        state = job.get("state") or "failed"
        failure = job.get("failure") or {}
        failure_class = str(failure.get("class") or state)
        history = job.get("history") or []
        reason = str(failure.get("message") or (history[-1].get("reason") if history else None) or "no reason given")
        log_tail = failure.get("logTail")
        if not log_tail and state == "failed":
            try:
                log_tail = self.hook.job_log_tail(job_id)
            except AirflowException as error:
                self.log.warning("Could not read the driver log of Sluice job %s: %s", job_id, error)
        self.log.error("Sluice job %s %s (%s): %s", job_id, state, failure_class, reason)
        if log_tail:
            self.log.error("Driver log tail of Sluice job %s:\n%s", job_id, log_tail.rstrip())
        if failure_class == "cancelled":
            self.log.error(
                "Not retrying: job %s was cancelled in Sluice, and a retry would ask Sluice to run it again. "
                "Clear the task to run the job again",
                job_id,
            )
        elif failure_class in NOT_RETRIED_FAILURE_CLASSES:
            self.log.error(
                "Not retrying: a retry would ask Sluice to run job %s again, and a %s failure would only repeat. "
                "Fix the cause, then clear the task to run the job again",
                job_id,
                failure_class,
            )
        raise job_failed(job_id, failure_class, reason, log_tail)

    def _time_out(self, job: dict[str, Any], limit: str | None = None) -> None:
        job_id = str(job["id"])
        within = limit or str(self.timeout)
        self.log.error("Sluice job %s did not end within %s; cancelling it", job_id, within)
        try:
            self.hook.cancel_job(job_id)
        except AirflowException as error:
            raise AirflowException(
                f"Sluice job {job_id} did not end within {within}, and cancelling it failed: {error}"
            ) from None
        raise AirflowException(f"Sluice job {job_id} did not end within {within}; cancelled it")


def _key_conflict(error: SluiceRequestRejected, key: str) -> SluiceRequestRejected:
    """Sluice's 409 for a reused Idempotency-Key, with what the DAG author can do about it."""
    hint = (
        "Sluice holds another request under this key, although the key carries a digest of the "
        "request (another client may have sent one with it). To submit a new job, change the "
        "request (a label will do) and clear the task, or start a new DAG run"
    )
    return SluiceRequestRejected(
        status=error.status,
        title=error.title,
        detail=error.detail,
        errors=[*error.errors, {"path": f"Idempotency-Key {key}", "message": hint}],
        request_id=error.request_id,
        type=error.type,
    )

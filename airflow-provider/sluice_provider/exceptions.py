"""What can go wrong when Airflow talks to Sluice, as exceptions a task log shows in full.

Each one carries what Sluice said (its problem detail, or the job's failure) rather than a
stack trace or an HTTP library's message, and none ever holds the connection's API key.

- `SluiceApiError`: Sluice answered with an error (RFC 9457 problem detail). A task may retry.
- `SluiceRequestRejected`: an error no retry can fix (bad key, unknown pipeline, invalid
  parameters, ...). It is also an `AirflowFailException`, so the task fails at once.
- `SluiceUnreachable`: no answer at all (connection refused, timeouts) after the hook's retries.
- `SluiceJobFailed`: Sluice ran the job and it failed or was cancelled. A task may retry
  (Sluice's failure classes `platform` and `timeout`): the operator's next try asks Sluice to
  run the same job again.
- `SluiceJobFailedNoRetry`: the job failed for a reason running it again would only repeat
  (`user`, `data`), or someone cancelled it in Sluice (`cancelled`). It is also an
  `AirflowFailException`, so the task fails at once; clearing the task runs the job again.

`sluice_unavailable` tells which of them mean "Sluice cannot answer for now": what everything
that waits on a job (the operator's worker poll, SluiceJobTrigger, SluiceJobSensor) waits
through, and `unavailable_reason` says which it was for a log line. `ServerErrorRun` ends such a
wait when Sluice keeps answering 500 (a bug in Sluice, which waiting does not fix).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from airflow.sdk.exceptions import AirflowException, AirflowFailException


class SluiceApiError(AirflowException):
    """Sluice answered a request with an error status.

    ``str()`` reads ``"<status> <title>: <detail>"``, then one line per invalid field,
    ``"  <path>: <message>"``, so a task log names the exact field Sluice objected to.
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        errors: Sequence[Mapping[str, Any]] = (),
        request_id: str | None = None,
        type: str | None = None,  # noqa: A002 - the problem member's own name
    ) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.errors: list[dict[str, str]] = [
            {"path": str(error.get("path", "")), "message": str(error.get("message", ""))} for error in errors
        ]
        self.request_id = request_id
        self.type = type
        super().__init__(self._message())

    def _message(self) -> str:
        lines = [f"{self.status} {self.title}: {self.detail}" if self.detail else f"{self.status} {self.title}"]
        lines += [f"  {error['path'] or '(request)'}: {error['message']}" for error in self.errors]
        return "\n".join(lines)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled across process boundaries (executors, the triggerer): rebuild from the fields.
        return (type(self), (self.status, self.title, self.detail, self.errors, self.request_id, self.type))


class SluiceRequestRejected(SluiceApiError, AirflowFailException):
    """Sluice refused the request for a reason that a retry cannot fix (4xx other than 429)."""


class SluiceUnreachable(AirflowException):
    """Sluice did not answer (or kept answering "try later") through every retry."""


class SluiceJobFailed(AirflowException):
    """The Sluice job ended failed or cancelled; names the job, Sluice's failure class and reason."""

    def __init__(self, job_id: str, failure_class: str, reason: str, log_tail: str | None = None) -> None:
        self.job_id = job_id
        self.failure_class = failure_class
        self.reason = reason
        self.log_tail = log_tail
        super().__init__(f"Sluice job {job_id} failed ({failure_class}): {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.job_id, self.failure_class, self.reason, self.log_tail))


#: Sluice's failure classes that no Airflow retry should answer by running the job again: the
#: job's own code or input is wrong (``user``, ``data``), or someone cancelled it in Sluice.
NOT_RETRIED_FAILURE_CLASSES = frozenset({"user", "data", "cancelled"})


class SluiceJobFailedNoRetry(SluiceJobFailed, AirflowFailException):
    """The job failed for a reason that running it again would only repeat (``user``, ``data``),
    or it was cancelled in Sluice (``cancelled``): the task fails at once, without Airflow retries,
    which would ask Sluice to run the job again. Clearing the task still does."""


def job_failed(job_id: str, failure_class: str, reason: str, log_tail: str | None = None) -> SluiceJobFailed:
    """The exception for a job that ended failed or cancelled: retryable unless its failure class
    is one of `NOT_RETRIED_FAILURE_CLASSES`."""
    kind = SluiceJobFailedNoRetry if failure_class in NOT_RETRIED_FAILURE_CLASSES else SluiceJobFailed
    return kind(job_id, failure_class, reason, log_tail)


class SluiceJobEnded(SluiceJobFailed, AirflowFailException):
    """A watched job ended failed or cancelled: a sensor's retry cannot change that, so the task
    fails at once. (The operator raises `job_failed`'s choice instead: its retry of a ``platform``
    or ``timeout`` failure is what asks Sluice to run the job again.)"""


def sluice_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means Sluice cannot answer for now, so that a task waiting on a job (which
    goes on in Sluice meanwhile) should look again later rather than fail.

    True for no answer (`SluiceUnreachable`) and for an error answer a later look may not get
    (`SluiceApiError`: 429, 5xx such as a 503 while Sluice's Redis is away, an unreadable answer),
    once the hook's own retries are spent. False for `SluiceRequestRejected` (401, 403, 404, ...:
    waiting cannot change it) and for anything else (a wrong connection, a failed job).
    """
    return isinstance(error, (SluiceUnreachable, SluiceApiError)) and not isinstance(error, SluiceRequestRejected)


def unavailable_reason(error: BaseException) -> str:
    """What a log line says about an error `sluice_unavailable` waits through: "Sluice answered
    500 Internal Server Error: ..." when Sluice answered, "Sluice unreachable (...)" when not."""
    first = _first_line(error)
    if isinstance(error, SluiceApiError) and error.status > 0:
        return f"Sluice answered {first}"
    if isinstance(error, SluiceApiError):
        return f"Sluice's answer could not be read ({error.detail})"
    return f"Sluice unreachable ({first})"


#: A wait on a job gives up once Sluice has answered 500 this many times in a row ...
SERVER_ERROR_ANSWERS = 10
#: ... over at least this many seconds.
SERVER_ERROR_PATIENCE = 600.0


class ServerErrorRun:
    """Counts the 500 answers in a row that a wait on a job has met.

    Everything else a wait meets while Sluice cannot answer (no answer, 429, 502-504: Sluice is
    away or busy) is waited through for as long as it lasts. A 500 is different: Sluice answered,
    and its answer is a bug (DESIGN: unexpected errors are bugs), which a longer wait will not fix;
    a task waiting on it forever hides it. `note` says when to give up: after
    `SERVER_ERROR_ANSWERS` such answers in a row over at least `SERVER_ERROR_PATIENCE` seconds.
    """

    def __init__(self) -> None:
        self.count = 0
        self.since: float | None = None

    def note(self, error: BaseException | None) -> bool:
        """Counts ``error`` (None: Sluice answered well); True once the run is long enough to give up."""
        if not (isinstance(error, SluiceApiError) and error.status == 500):
            self.count, self.since = 0, None
            return False
        now = _clock()
        if self.since is None:
            self.since = now
        self.count += 1
        return self.count >= SERVER_ERROR_ANSWERS and now - self.since >= SERVER_ERROR_PATIENCE

    def gave_up(self, job_id: str, error: BaseException) -> str:
        """The message of a wait that gave up, naming the last answer."""
        now = _clock()
        minutes = (now - (self.since if self.since is not None else now)) / 60
        request = getattr(error, "request_id", None)
        return (
            f"gave up waiting for Sluice job {job_id}: Sluice answered 500 to {self.count} looks in a row over "
            f"{minutes:.0f} min, the last: {_first_line(error)}"
            + (f" (requestId {request})" if request else "")
            + ". That is a bug in Sluice for its operators to look into; the job may go on meanwhile, and a "
            "retry of the task adopts it"
        )


def _clock() -> float:
    return time.monotonic()


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__

"""Real Airflow daemons for the integration tests: `airflow triggerer` and `airflow scheduler`.

Each runs as a child process of the test in the session's Airflow home (its environment is the
test's, plus what the caller adds), in a process group of its own, logging to a file:

    triggerer = start_triggerer()          # returns once its job heartbeats in the metadata DB
    scheduler = start_scheduler(wait=False)  # returns at once; wait_ready(scheduler) later
    ...
    stop(triggerer)                        # SIGTERM to its pid, as a process manager does
    stop(triggerer, signal.SIGKILL)        # a crash: SIGKILL to its group (the runner child too)
    stop_all([triggerer, scheduler])       # signals all first, then waits (a triggerer takes ~10 s)

Neither serves anything on the network: both run with --skip-serve-logs (the triggerer's and the
scheduler's log servers are the only ports they would open). Readiness is read from the
metadata database: the process's row in the job table, running, with a heartbeat.
`run_airflow(...)` runs one CLI command (dags reserialize, dags unpause) and raises with its
output when it fails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

AIRFLOW = str(Path(sys.executable).with_name("airflow"))


@dataclass
class AirflowProcess:
    """A started daemon: its Popen, log file and, once ready, its job id in the metadata DB."""

    name: str
    job_type: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    started_at: datetime
    job_id: int | None = None
    _log_file: object = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


def airflow_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test's environment (Airflow home, database, connections) plus ``extra``."""
    env = dict(os.environ)
    env.update(extra or {})
    return env


def run_airflow(*args: str, env: Mapping[str, str] | None = None, timeout: float = 120) -> str:
    """Runs `airflow <args>`; returns its output, raises with it when the command fails."""
    result = subprocess.run(
        [AIRFLOW, *args], env=airflow_env(env), capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        raise RuntimeError(f"airflow {' '.join(args)} exited with {result.returncode}\n{output}")
    return result.stdout + result.stderr


def start_triggerer(
    env: Mapping[str, str] | None = None, *, wait: bool = True, ready_timeout: float = 60
) -> AirflowProcess:
    """Starts `airflow triggerer --skip-serve-logs`; with ``wait``, returns once its TriggererJob heartbeats.

    A triggerer takes over the triggers of a dead one only once the dead one's heartbeat is older
    than ``[triggerer] triggerer_health_check_threshold`` (30 s): after a SIGKILL, expect that wait.
    """
    process = _start("triggerer", "TriggererJob", [AIRFLOW, "triggerer", "--skip-serve-logs"], env)
    return wait_ready(process, ready_timeout) if wait else process


def start_scheduler(
    env: Mapping[str, str] | None = None, *, wait: bool = True, ready_timeout: float = 60
) -> AirflowProcess:
    """Starts `airflow scheduler --skip-serve-logs`; with ``wait``, returns once its SchedulerJob heartbeats."""
    process = _start("scheduler", "SchedulerJob", [AIRFLOW, "scheduler", "--skip-serve-logs"], env)
    return wait_ready(process, ready_timeout) if wait else process


def stop_all(processes: Iterable[AirflowProcess], sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    """Stops several daemons at once: every signal is sent before any wait."""
    processes = list(processes)
    for process in processes:
        _signal(process, sig)
    for process in processes:
        stop(process, sig, timeout)


def stop(process: AirflowProcess, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
    """Stops the daemon by its pid; returns its exit status.

    SIGTERM goes to the daemon alone, which shuts its own children down (Airflow's graceful
    path); SIGKILL goes to its whole process group, as a crash of its container would. Whatever
    of its group is still alive after ``timeout`` (or after the daemon exited) is SIGKILLed.
    """
    _signal(process, sig)
    try:
        code = process.popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process, signal.SIGKILL)
        code = process.popen.wait(timeout=10)
    _kill_group(process, signal.SIGKILL)
    if process._log_file is not None:
        process._log_file.close()  # type: ignore[attr-defined]
        process._log_file = None
    return code


def _signal(process: AirflowProcess, sig: int) -> None:
    if not process.alive():
        return
    if sig == signal.SIGKILL:
        _kill_group(process, signal.SIGKILL)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, sig)


def _kill_group(process: AirflowProcess, sig: int) -> None:
    # The group id is the daemon's pid (start_new_session): only its own descendants are in it.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _start(name: str, job_type: str, command: list[str], env: Mapping[str, str] | None) -> AirflowProcess:
    log_dir = Path(os.environ.get("AIRFLOW_HOME", tempfile.gettempdir())) / "daemon-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}-{time.strftime('%H%M%S')}-{os.getpid()}-{time.monotonic_ns()}.log"
    log_file = open(log_path, "wb")  # noqa: SIM115 - closed by stop()
    started_at = datetime.now(timezone.utc)
    popen = subprocess.Popen(
        command,
        env=airflow_env(env),
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return AirflowProcess(
        name=name, job_type=job_type, popen=popen, log_path=log_path, started_at=started_at, _log_file=log_file
    )


def wait_ready(process: AirflowProcess, timeout: float = 60) -> AirflowProcess:
    """Returns once the daemon's job row (started after the process) is running with a heartbeat."""
    from airflow.jobs.job import Job
    from airflow.utils.session import create_session
    from sqlalchemy import select

    # The job row's start date comes from the daemon's clock, the same host's as ours.
    since = process.started_at - timedelta(seconds=1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"airflow {process.name} exited with {process.popen.returncode}:\n{process.log_tail()}")
        with create_session() as session:
            job_id = session.scalar(
                select(Job.id)
                .where(
                    Job.job_type == process.job_type,
                    Job.state == "running",
                    Job.start_date >= since,
                    Job.latest_heartbeat.is_not(None),
                )
                .order_by(Job.id.desc())
                .limit(1)
            )
        if job_id is not None:
            process.job_id = job_id
            return process
        time.sleep(0.5)
    stop(process, signal.SIGKILL)
    raise TimeoutError(f"airflow {process.name} did not heartbeat within {timeout:.0f} s:\n{process.log_tail()}")

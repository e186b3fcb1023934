"""Running provider tasks in a real Airflow 3 (the session's SQLite home) for the integration tests.

- `run_dag` runs a DAG file's DAG with `dag.test()`, optionally leaving a deferred task to a real
  triggerer instead of running its trigger inline, and optionally driving the world (Sluice, the
  metadata DB) from a background thread while the DAG runs.
- `run_next_try` runs the next try of a task instance whose worker died; `run_cleared` clears a
  task instance that ended and runs it again, as a user's "Clear" does.
- `TaskInstanceView`, `xcom` and `task_tries` read what the run left: states, tries, XComs, the log.
- `mark_failed` marks a task instance failed through the public REST API, as the UI does.
- `DagRunProcess` runs a DAG in a child process, so a test can SIGTERM or SIGKILL its worker.
(What a test sees of Sluice, `SluiceJobs`, and `wait_for` live in sluice_harness.py, shared with
the asset-watcher tests.)

`dag.test()` writes no task log files: it runs the Task SDK in this process, whose task log goes to
sys.stdout (structlog) and to the root logger (stdlib). `run_dag` and `run_next_try` copy both into
a file of their own under the Airflow home's log folder, and hand back its text as `log`; a child
process's output goes to its own file.
"""

from __future__ import annotations

import _thread
import datetime
import io
import itertools
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, TypeVar
from unittest import mock

from airflow import settings
from airflow.configuration import conf
from airflow.dag_processing.dagbag import DagBag
from airflow.models.dagrun import DagRun
from airflow.models.taskinstance import TaskInstance
from airflow.models.xcom import XComModel
from airflow.sdk import DAG
from airflow.utils.session import create_session
from airflow.utils.state import TaskInstanceState
from airflow.utils.types import DagRunType

T = TypeVar("T")


def load_dag(file_name: str, dag_id: str) -> DAG:
    """The DAG `dag_id` of a file in the dags folder (dag.test() syncs that folder to the DB)."""
    bag = DagBag(dag_folder=Path(settings.DAGS_FOLDER) / file_name)
    if bag.import_errors:
        raise RuntimeError(f"{file_name} does not import: {bag.import_errors}")
    return bag.dags[dag_id]


@dataclass(frozen=True)
class TaskInstanceView:
    state: str | None
    try_number: int
    max_tries: int
    trigger_id: int | None
    next_method: str | None
    duration: float | None

    @staticmethod
    def read(dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> TaskInstanceView | None:
        with create_session() as session:
            ti = (
                session.query(TaskInstance)
                .filter_by(dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=map_index)
                .one_or_none()
            )
            if ti is None:
                return None
            return TaskInstanceView(ti.state, ti.try_number, ti.max_tries, ti.trigger_id, ti.next_method, ti.duration)


def xcom(dag_id: str, run_id: str, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
    """The XCom a task pushed (its latest try's; None when it pushed none)."""
    with create_session() as session:
        row = session.scalars(
            XComModel.get_many(run_id=run_id, key=key, task_ids=task_id, dag_ids=dag_id, map_indexes=map_index)
        ).first()
        return None if row is None else XComModel.deserialize_value(row)


def task_tries(log: str, task_id: str) -> list[str]:
    """A run's log cut into one piece per try of `task_id`."""
    start, end = f"[DAG TEST] starting task_id={task_id} ", f"[DAG TEST] end task task_id={task_id} "
    return [piece.split(end)[0] for piece in log.split(start)[1:]]


@dataclass(frozen=True)
class DagTestRun:
    dag_id: str
    run_id: str
    state: str
    log: str

    def ti(self, task_id: str, map_index: int = -1) -> TaskInstanceView:
        view = TaskInstanceView.read(self.dag_id, self.run_id, task_id, map_index)
        if view is None:
            raise LookupError(f"{self.dag_id} run {self.run_id} has no task instance {task_id}")
        return view

    def xcom(self, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
        return xcom(self.dag_id, self.run_id, task_id, key, map_index)


@dataclass(frozen=True)
class TaskTry:
    ti: TaskInstanceView
    log: str


class _Tee(io.TextIOBase):
    def __init__(self, *streams: TextIO) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


_log_numbers = itertools.count(1)


@contextmanager
def _run_log(name: str) -> Iterator[Path]:
    """Copies this process's stdout, stderr and root logger into a new file while the block runs."""
    folder = Path(conf.get("logging", "base_log_folder")) / "dag_test"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{next(_log_numbers):03d}-{_safe(name)}.log"
    with path.open("w", buffering=1) as file:
        handler = logging.StreamHandler(file)
        handler.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] %(message)s [%(name)s]"))
        root = logging.getLogger()
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Tee(file, saved[0]), _Tee(file, saved[1])
        root.addHandler(handler)
        try:
            yield path
        finally:
            root.removeHandler(handler)
            sys.stdout, sys.stderr = saved


def _safe(name: str) -> str:
    return "".join(char if char.isalnum() or char in "-_." else "_" for char in name)


def manual_run_id(run_after: datetime.datetime) -> str:
    """The run id dag.test() gives a run whose logical date and run_after are both `run_after`."""
    return DagRun.generate_run_id(run_type=DagRunType.MANUAL, logical_date=run_after, run_after=run_after)


def new_run_after() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def run_dag(
    dag: DAG,
    *,
    run_after: datetime.datetime | None = None,
    run_conf: dict[str, Any] | None = None,
    inline_triggers: bool = True,
    during: Callable[[str], None] | None = None,
) -> DagTestRun:
    """Runs `dag` once with dag.test() and returns its run's final state.

    `run_after` (default now) is also the logical date; it fixes the run id (`manual_run_id`).
    A second call with the same value does not continue that run: dag.test() deletes it and
    starts over at try 1 (`run_next_try` continues a run).
    With `inline_triggers=False` a deferred task waits in the DEFERRED state for a real triggerer
    (dag.test() resumes it once the triggerer fires its event) instead of dag.test() running
    its trigger in this process. `during(run_id)` runs in a background thread while the DAG runs;
    if it raises, the run is interrupted and its exception is raised here.
    """
    run_after = run_after or new_run_after()
    run_id = manual_run_id(run_after)
    failure: list[BaseException] = []

    def drive() -> None:
        try:
            assert during is not None
            during(run_id)
        except BaseException as error:  # noqa: BLE001 - handed to the main thread below
            failure.append(error)
            # dag.test() may be waiting for something that now never comes (a deferred task).
            _thread.interrupt_main()

    with ExitStack() as stack:
        log_path = stack.enter_context(_run_log(f"{dag.dag_id}-{run_id}"))
        if not inline_triggers:
            stack.enter_context(_triggers_left_to_the_triggerer())
        # The Task SDK installs its SIGTERM handler with signal.signal(), which only the main
        # thread may call: dag.test() stays here and the test's driving goes to the thread.
        driver = threading.Thread(target=drive, name=f"during-{dag.dag_id}", daemon=True) if during else None
        try:
            if driver:
                _settle_orm()
                driver.start()
            dag_run = dag.test(run_after=run_after, logical_date=run_after, run_conf=run_conf)
            if driver:
                driver.join()
        except KeyboardInterrupt:
            if not failure:
                raise
        if failure:
            raise failure[0]
    return DagTestRun(dag.dag_id, dag_run.run_id, dag_run.state, log_path.read_text())


def _settle_orm() -> None:
    # dag.test() imports Airflow modules lazily, some declaring ORM classes; a query from the
    # driver thread meanwhile makes SQLAlchemy configure its mappers, which imports every model:
    # each thread then waits for a lock the other holds, forever. All imported and configured
    # here first, nothing is left for the two to contend for.
    import airflow.jobs.job  # noqa: F401 - a model outside airflow.models
    from airflow.models import import_all_models
    from sqlalchemy.orm import configure_mappers

    import_all_models()
    configure_mappers()


def _triggers_left_to_the_triggerer() -> mock._patch[Any]:
    # dag.test() always runs a deferred task's trigger inline; its helper `_run_task` has the
    # switch (run_triggerer) but dag.test() offers none, so the switch is set here.
    from airflow.sdk.definitions import dag as sdk_dag

    run_task = sdk_dag._run_task

    def without_inline_trigger(**kwargs: Any) -> Any:
        return run_task(**{**kwargs, "run_triggerer": False})

    return mock.patch.object(sdk_dag, "_run_task", without_inline_trigger)


def run_next_try(dag: DAG, run_id: str, task_id: str, map_index: int = -1) -> TaskTry:
    """Runs the next try of a task instance whose worker died, in this process, and returns its end.

    What the scheduler does for a task instance that stopped heartbeating (with retries left):
    it records the try in the history and sets it up for retry; once the retry is due it schedules
    the next try, which a worker runs. Here the retry is due at once and the worker is this
    process, running the try as dag.test() does.
    """

    def retry(ti: TaskInstance, session: Any) -> None:
        if ti.try_number > ti.max_tries:
            raise RuntimeError(
                f"{dag.dag_id}.{task_id} has no retries left (try {ti.try_number} of {ti.max_tries + 1})"
            )
        ti.prepare_db_for_next_try(session)

    return _run_again(dag, run_id, task_id, map_index, retry)


def run_cleared(dag: DAG, run_id: str, task_id: str, map_index: int = -1) -> TaskTry:
    """Clears a task instance that ended, as the UI's "Clear" does, and runs its next try in this
    process (what the scheduler and a worker do next); returns its end."""
    from airflow.models.taskinstance import clear_task_instances

    return _run_again(dag, run_id, task_id, map_index, lambda ti, session: clear_task_instances([ti], session))


def _run_again(
    dag: DAG, run_id: str, task_id: str, map_index: int, prepare: Callable[[TaskInstance, Any], None]
) -> TaskTry:
    from airflow.sdk.definitions.dag import _run_task

    with create_session() as session:
        ti = (
            session.query(TaskInstance)
            .filter_by(dag_id=dag.dag_id, run_id=run_id, task_id=task_id, map_index=map_index)
            .one()
        )
        prepare(ti, session)
        ti.try_number += 1
        ti.state = TaskInstanceState.SCHEDULED
        session.commit()
        session.refresh(ti)
        session.expunge(ti)
    with _run_log(f"{dag.dag_id}-{run_id}-{task_id}-try-{ti.try_number}") as log_path:
        _run_task(ti=ti, task=dag.task_dict[task_id], run_triggerer=True)
    view = TaskInstanceView.read(dag.dag_id, run_id, task_id, map_index)
    assert view is not None
    return TaskTry(view, log_path.read_text())


_api_client: Any = None


def mark_failed(dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> dict[str, Any]:
    """Marks a task instance failed with PATCH /api/v2/dags/{dag}/dagRuns/{run}/taskInstances/{task}
    {"new_state": "failed"}, the request the UI's "Mark as failed" sends, served in process by
    Airflow's own API app (simple auth manager, every user an admin). Returns the response body."""
    global _api_client
    with mock.patch.dict(os.environ, {"AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True"}):
        if _api_client is None:
            from airflow.api_fastapi.app import create_app
            from fastapi.testclient import TestClient

            _api_client = TestClient(create_app("core"))
        response = _api_client.patch(
            f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}",
            params={"map_index": map_index} if map_index >= 0 else None,
            json={"new_state": "failed"},
        )
    if response.status_code != 200:
        raise RuntimeError(f"marking {dag_id}.{task_id} failed answered {response.status_code}: {response.text}")
    return response.json()


class DagRunProcess:
    """`run_dag` in a child Python process (its worker, for a test to SIGTERM or SIGKILL), with
    this process's environment (Airflow home, connections). Its output goes to `log_path`."""

    def __init__(self, dag_file: str, dag_id: str, run_after: datetime.datetime, log_path: Path) -> None:
        self.dag_id = dag_id
        self.run_id = manual_run_id(run_after)
        self.log_path = log_path
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, __file__, dag_file, dag_id, run_after.isoformat()],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self._log.close()

    def output(self) -> str:
        return self.log_path.read_text()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._log.close()


def _main(dag_file: str, dag_id: str, run_after: str) -> None:
    run = run_dag(load_dag(dag_file, dag_id), run_after=datetime.datetime.fromisoformat(run_after))
    print(f"DAG RUN {run.run_id} ended {run.state}", flush=True)


if __name__ == "__main__":
    _main(*sys.argv[1:4])

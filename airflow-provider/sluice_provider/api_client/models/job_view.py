from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.job_view_stage import JobViewStage
from ..models.job_view_state import JobViewState
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.engine_choice import EngineChoice
    from ..models.failure import Failure
    from ..models.job_view_labels import JobViewLabels
    from ..models.job_view_parameters import JobViewParameters
    from ..models.load import Load
    from ..models.load_progress import LoadProgress
    from ..models.output import Output
    from ..models.run import Run
    from ..models.state_change import StateChange


T = TypeVar("T", bound="JobView")


@_attrs_define
class JobView:
    """
    Attributes:
        id (str):
        pipeline (str):
        state (JobViewState):
        stage (JobViewStage): The step the worker runs next (`done` once final).
        attempt (int):
        max_attempts (int):
        priority (int):
        parameters (JobViewParameters):
        inputs (list[str]):
        labels (JobViewLabels):
        created_at (str):
        updated_at (str):
        history (list[StateChange]):
        idempotency_key (str | Unset):
        request_id (str | Unset):
        trace_id (str | Unset): Follows the job through its logs, the Spark driver log, the manifest and the SQL load
            ledger.
        run (Run | Unset):
        engine (EngineChoice | Unset): The engine the latest attempt runs on and why, in words: "embedded: 46 MB ≤ 2
            GB", "spark: 3.1 GB > 2 GB (SLUICE_EMBEDDED_MAX_BYTES)" (docs/adr/0021-embedded-engine.md).
        failure (Failure | Unset):
        output (Output | Unset):
        loads (list[Load] | Unset):
        cancel_requested (bool | Unset): A cancel was asked for and the worker has not stopped the job yet (it stops its
            run, or rolls its load back, then writes `cancelled`). Absent otherwise, and once the job is final.
        load_progress (list[LoadProgress] | Unset): While the job is `loading`: the SQL load running now (one per sink),
            until its outcome joins `loads`. Absent in every other state.
    """

    id: str
    pipeline: str
    state: JobViewState
    stage: JobViewStage
    attempt: int
    max_attempts: int
    priority: int
    parameters: JobViewParameters
    inputs: list[str]
    labels: JobViewLabels
    created_at: str
    updated_at: str
    history: list[StateChange]
    idempotency_key: str | Unset = UNSET
    request_id: str | Unset = UNSET
    trace_id: str | Unset = UNSET
    run: Run | Unset = UNSET
    engine: EngineChoice | Unset = UNSET
    failure: Failure | Unset = UNSET
    output: Output | Unset = UNSET
    loads: list[Load] | Unset = UNSET
    cancel_requested: bool | Unset = UNSET
    load_progress: list[LoadProgress] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        pipeline = self.pipeline

        state = self.state.value

        stage = self.stage.value

        attempt = self.attempt

        max_attempts = self.max_attempts

        priority = self.priority

        parameters = self.parameters.to_dict()

        inputs = self.inputs

        labels = self.labels.to_dict()

        created_at = self.created_at

        updated_at = self.updated_at

        history = []
        for history_item_data in self.history:
            history_item = history_item_data.to_dict()
            history.append(history_item)

        idempotency_key = self.idempotency_key

        request_id = self.request_id

        trace_id = self.trace_id

        run: dict[str, Any] | Unset = UNSET
        if not isinstance(self.run, Unset):
            run = self.run.to_dict()

        engine: dict[str, Any] | Unset = UNSET
        if not isinstance(self.engine, Unset):
            engine = self.engine.to_dict()

        failure: dict[str, Any] | Unset = UNSET
        if not isinstance(self.failure, Unset):
            failure = self.failure.to_dict()

        output: dict[str, Any] | Unset = UNSET
        if not isinstance(self.output, Unset):
            output = self.output.to_dict()

        loads: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.loads, Unset):
            loads = []
            for loads_item_data in self.loads:
                loads_item = loads_item_data.to_dict()
                loads.append(loads_item)

        cancel_requested = self.cancel_requested

        load_progress: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.load_progress, Unset):
            load_progress = []
            for load_progress_item_data in self.load_progress:
                load_progress_item = load_progress_item_data.to_dict()
                load_progress.append(load_progress_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "pipeline": pipeline,
                "state": state,
                "stage": stage,
                "attempt": attempt,
                "maxAttempts": max_attempts,
                "priority": priority,
                "parameters": parameters,
                "inputs": inputs,
                "labels": labels,
                "createdAt": created_at,
                "updatedAt": updated_at,
                "history": history,
            }
        )
        if idempotency_key is not UNSET:
            field_dict["idempotencyKey"] = idempotency_key
        if request_id is not UNSET:
            field_dict["requestId"] = request_id
        if trace_id is not UNSET:
            field_dict["traceId"] = trace_id
        if run is not UNSET:
            field_dict["run"] = run
        if engine is not UNSET:
            field_dict["engine"] = engine
        if failure is not UNSET:
            field_dict["failure"] = failure
        if output is not UNSET:
            field_dict["output"] = output
        if loads is not UNSET:
            field_dict["loads"] = loads
        if cancel_requested is not UNSET:
            field_dict["cancelRequested"] = cancel_requested
        if load_progress is not UNSET:
            field_dict["loadProgress"] = load_progress

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.engine_choice import EngineChoice
        from ..models.failure import Failure
        from ..models.job_view_labels import JobViewLabels
        from ..models.job_view_parameters import JobViewParameters
        from ..models.load import Load
        from ..models.load_progress import LoadProgress
        from ..models.output import Output
        from ..models.run import Run
        from ..models.state_change import StateChange

        d = dict(src_dict)
        id = d.pop("id")

        pipeline = d.pop("pipeline")

        state = JobViewState(d.pop("state"))

        stage = JobViewStage(d.pop("stage"))

        attempt = d.pop("attempt")

        max_attempts = d.pop("maxAttempts")

        priority = d.pop("priority")

        parameters = JobViewParameters.from_dict(d.pop("parameters"))

        inputs = cast(list[str], d.pop("inputs"))

        labels = JobViewLabels.from_dict(d.pop("labels"))

        created_at = d.pop("createdAt")

        updated_at = d.pop("updatedAt")

        history = []
        _history = d.pop("history")
        for history_item_data in _history:
            history_item = StateChange.from_dict(history_item_data)

            history.append(history_item)

        idempotency_key = d.pop("idempotencyKey", UNSET)

        request_id = d.pop("requestId", UNSET)

        trace_id = d.pop("traceId", UNSET)

        _run = d.pop("run", UNSET)
        run: Run | Unset
        if isinstance(_run, Unset):
            run = UNSET
        else:
            run = Run.from_dict(_run)

        _engine = d.pop("engine", UNSET)
        engine: EngineChoice | Unset
        if isinstance(_engine, Unset):
            engine = UNSET
        else:
            engine = EngineChoice.from_dict(_engine)

        _failure = d.pop("failure", UNSET)
        failure: Failure | Unset
        if isinstance(_failure, Unset):
            failure = UNSET
        else:
            failure = Failure.from_dict(_failure)

        _output = d.pop("output", UNSET)
        output: Output | Unset
        if isinstance(_output, Unset):
            output = UNSET
        else:
            output = Output.from_dict(_output)

        _loads = d.pop("loads", UNSET)
        loads: list[Load] | Unset = UNSET
        if _loads is not UNSET:
            loads = []
            for loads_item_data in _loads:
                loads_item = Load.from_dict(loads_item_data)

                loads.append(loads_item)

        cancel_requested = d.pop("cancelRequested", UNSET)

        _load_progress = d.pop("loadProgress", UNSET)
        load_progress: list[LoadProgress] | Unset = UNSET
        if _load_progress is not UNSET:
            load_progress = []
            for load_progress_item_data in _load_progress:
                load_progress_item = LoadProgress.from_dict(load_progress_item_data)

                load_progress.append(load_progress_item)

        job_view = cls(
            id=id,
            pipeline=pipeline,
            state=state,
            stage=stage,
            attempt=attempt,
            max_attempts=max_attempts,
            priority=priority,
            parameters=parameters,
            inputs=inputs,
            labels=labels,
            created_at=created_at,
            updated_at=updated_at,
            history=history,
            idempotency_key=idempotency_key,
            request_id=request_id,
            trace_id=trace_id,
            run=run,
            engine=engine,
            failure=failure,
            output=output,
            loads=loads,
            cancel_requested=cancel_requested,
            load_progress=load_progress,
        )

        return job_view

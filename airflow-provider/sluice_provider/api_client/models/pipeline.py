from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pipeline_after import PipelineAfter
    from ..models.pipeline_batch import PipelineBatch
    from ..models.pipeline_engine import PipelineEngine
    from ..models.pipeline_input import PipelineInput
    from ..models.pipeline_notify_item import PipelineNotifyItem
    from ..models.pipeline_outputs import PipelineOutputs
    from ..models.pipeline_parameters import PipelineParameters
    from ..models.pipeline_policy import PipelinePolicy
    from ..models.pipeline_schedule import PipelineSchedule
    from ..models.pipeline_sources_item_type_0 import PipelineSourcesItemType0
    from ..models.pipeline_sources_item_type_1 import PipelineSourcesItemType1
    from ..models.pipeline_transform_type_0 import PipelineTransformType0
    from ..models.pipeline_transform_type_1 import PipelineTransformType1


T = TypeVar("T", bound="Pipeline")


@_attrs_define
class Pipeline:
    """
    Attributes:
        name (str):
        input_ (PipelineInput):
        transform (PipelineTransformType0 | PipelineTransformType1):
        outputs (PipelineOutputs):
        description (str | Unset):  Default: ''.
        parameters (PipelineParameters | Unset):
        sources (list[PipelineSourcesItemType0 | PipelineSourcesItemType1] | Unset):
        batch (PipelineBatch | Unset):
        after (PipelineAfter | Unset):
        engine (PipelineEngine | Unset):
        policy (PipelinePolicy | Unset):
        schedule (PipelineSchedule | Unset):
        notify (list[PipelineNotifyItem] | Unset):
        next_runs (list[str] | Unset): With a schedule: its next tick times (ISO 8601, UTC), from the cron expression
            read in the schedule's time zone.
    """

    name: str
    input_: PipelineInput
    transform: PipelineTransformType0 | PipelineTransformType1
    outputs: PipelineOutputs
    description: str | Unset = ""
    parameters: PipelineParameters | Unset = UNSET
    sources: list[PipelineSourcesItemType0 | PipelineSourcesItemType1] | Unset = UNSET
    batch: PipelineBatch | Unset = UNSET
    after: PipelineAfter | Unset = UNSET
    engine: PipelineEngine | Unset = UNSET
    policy: PipelinePolicy | Unset = UNSET
    schedule: PipelineSchedule | Unset = UNSET
    notify: list[PipelineNotifyItem] | Unset = UNSET
    next_runs: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.pipeline_sources_item_type_0 import PipelineSourcesItemType0
        from ..models.pipeline_transform_type_0 import PipelineTransformType0

        name = self.name

        input_ = self.input_.to_dict()

        transform: dict[str, Any]
        if isinstance(self.transform, PipelineTransformType0):
            transform = self.transform.to_dict()
        else:
            transform = self.transform.to_dict()

        outputs = self.outputs.to_dict()

        description = self.description

        parameters: dict[str, Any] | Unset = UNSET
        if not isinstance(self.parameters, Unset):
            parameters = self.parameters.to_dict()

        sources: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.sources, Unset):
            sources = []
            for sources_item_data in self.sources:
                sources_item: dict[str, Any]
                if isinstance(sources_item_data, PipelineSourcesItemType0):
                    sources_item = sources_item_data.to_dict()
                else:
                    sources_item = sources_item_data.to_dict()

                sources.append(sources_item)

        batch: dict[str, Any] | Unset = UNSET
        if not isinstance(self.batch, Unset):
            batch = self.batch.to_dict()

        after: dict[str, Any] | Unset = UNSET
        if not isinstance(self.after, Unset):
            after = self.after.to_dict()

        engine: dict[str, Any] | Unset = UNSET
        if not isinstance(self.engine, Unset):
            engine = self.engine.to_dict()

        policy: dict[str, Any] | Unset = UNSET
        if not isinstance(self.policy, Unset):
            policy = self.policy.to_dict()

        schedule: dict[str, Any] | Unset = UNSET
        if not isinstance(self.schedule, Unset):
            schedule = self.schedule.to_dict()

        notify: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.notify, Unset):
            notify = []
            for notify_item_data in self.notify:
                notify_item = notify_item_data.to_dict()
                notify.append(notify_item)

        next_runs: list[str] | Unset = UNSET
        if not isinstance(self.next_runs, Unset):
            next_runs = self.next_runs

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "input": input_,
                "transform": transform,
                "outputs": outputs,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if parameters is not UNSET:
            field_dict["parameters"] = parameters
        if sources is not UNSET:
            field_dict["sources"] = sources
        if batch is not UNSET:
            field_dict["batch"] = batch
        if after is not UNSET:
            field_dict["after"] = after
        if engine is not UNSET:
            field_dict["engine"] = engine
        if policy is not UNSET:
            field_dict["policy"] = policy
        if schedule is not UNSET:
            field_dict["schedule"] = schedule
        if notify is not UNSET:
            field_dict["notify"] = notify
        if next_runs is not UNSET:
            field_dict["nextRuns"] = next_runs

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pipeline_after import PipelineAfter
        from ..models.pipeline_batch import PipelineBatch
        from ..models.pipeline_engine import PipelineEngine
        from ..models.pipeline_input import PipelineInput
        from ..models.pipeline_notify_item import PipelineNotifyItem
        from ..models.pipeline_outputs import PipelineOutputs
        from ..models.pipeline_parameters import PipelineParameters
        from ..models.pipeline_policy import PipelinePolicy
        from ..models.pipeline_schedule import PipelineSchedule
        from ..models.pipeline_sources_item_type_0 import PipelineSourcesItemType0
        from ..models.pipeline_sources_item_type_1 import PipelineSourcesItemType1
        from ..models.pipeline_transform_type_0 import PipelineTransformType0
        from ..models.pipeline_transform_type_1 import PipelineTransformType1

        d = dict(src_dict)
        name = d.pop("name")

        input_ = PipelineInput.from_dict(d.pop("input"))

        def _parse_transform(
            data: object,
        ) -> PipelineTransformType0 | PipelineTransformType1:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                transform_type_0 = PipelineTransformType0.from_dict(data)

                return transform_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            transform_type_1 = PipelineTransformType1.from_dict(data)

            return transform_type_1

        transform = _parse_transform(d.pop("transform"))

        outputs = PipelineOutputs.from_dict(d.pop("outputs"))

        description = d.pop("description", UNSET)

        _parameters = d.pop("parameters", UNSET)
        parameters: PipelineParameters | Unset
        if isinstance(_parameters, Unset):
            parameters = UNSET
        else:
            parameters = PipelineParameters.from_dict(_parameters)

        _sources = d.pop("sources", UNSET)
        sources: list[PipelineSourcesItemType0 | PipelineSourcesItemType1] | Unset = (
            UNSET
        )
        if _sources is not UNSET:
            sources = []
            for sources_item_data in _sources:

                def _parse_sources_item(
                    data: object,
                ) -> PipelineSourcesItemType0 | PipelineSourcesItemType1:
                    try:
                        if not isinstance(data, dict):
                            raise TypeError()
                        sources_item_type_0 = PipelineSourcesItemType0.from_dict(data)

                        return sources_item_type_0
                    except (TypeError, ValueError, AttributeError, KeyError):
                        pass
                    if not isinstance(data, dict):
                        raise TypeError()
                    sources_item_type_1 = PipelineSourcesItemType1.from_dict(data)

                    return sources_item_type_1

                sources_item = _parse_sources_item(sources_item_data)

                sources.append(sources_item)

        _batch = d.pop("batch", UNSET)
        batch: PipelineBatch | Unset
        if isinstance(_batch, Unset):
            batch = UNSET
        else:
            batch = PipelineBatch.from_dict(_batch)

        _after = d.pop("after", UNSET)
        after: PipelineAfter | Unset
        if isinstance(_after, Unset):
            after = UNSET
        else:
            after = PipelineAfter.from_dict(_after)

        _engine = d.pop("engine", UNSET)
        engine: PipelineEngine | Unset
        if isinstance(_engine, Unset):
            engine = UNSET
        else:
            engine = PipelineEngine.from_dict(_engine)

        _policy = d.pop("policy", UNSET)
        policy: PipelinePolicy | Unset
        if isinstance(_policy, Unset):
            policy = UNSET
        else:
            policy = PipelinePolicy.from_dict(_policy)

        _schedule = d.pop("schedule", UNSET)
        schedule: PipelineSchedule | Unset
        if isinstance(_schedule, Unset):
            schedule = UNSET
        else:
            schedule = PipelineSchedule.from_dict(_schedule)

        _notify = d.pop("notify", UNSET)
        notify: list[PipelineNotifyItem] | Unset = UNSET
        if _notify is not UNSET:
            notify = []
            for notify_item_data in _notify:
                notify_item = PipelineNotifyItem.from_dict(notify_item_data)

                notify.append(notify_item)

        next_runs = cast(list[str], d.pop("nextRuns", UNSET))

        pipeline = cls(
            name=name,
            input_=input_,
            transform=transform,
            outputs=outputs,
            description=description,
            parameters=parameters,
            sources=sources,
            batch=batch,
            after=after,
            engine=engine,
            policy=policy,
            schedule=schedule,
            notify=notify,
            next_runs=next_runs,
        )

        return pipeline

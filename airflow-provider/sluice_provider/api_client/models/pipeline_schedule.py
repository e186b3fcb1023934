from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.pipeline_schedule_catchup import PipelineScheduleCatchup
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pipeline_schedule_params import PipelineScheduleParams


T = TypeVar("T", bound="PipelineSchedule")


@_attrs_define
class PipelineSchedule:
    """
    Attributes:
        cron (str):
        timezone (str | Unset):  Default: 'UTC'.
        params (PipelineScheduleParams | Unset):
        catchup (PipelineScheduleCatchup | Unset):  Default: PipelineScheduleCatchup.LATEST.
    """

    cron: str
    timezone: str | Unset = "UTC"
    params: PipelineScheduleParams | Unset = UNSET
    catchup: PipelineScheduleCatchup | Unset = PipelineScheduleCatchup.LATEST

    def to_dict(self) -> dict[str, Any]:
        cron = self.cron

        timezone = self.timezone

        params: dict[str, Any] | Unset = UNSET
        if not isinstance(self.params, Unset):
            params = self.params.to_dict()

        catchup: str | Unset = UNSET
        if not isinstance(self.catchup, Unset):
            catchup = self.catchup.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "cron": cron,
            }
        )
        if timezone is not UNSET:
            field_dict["timezone"] = timezone
        if params is not UNSET:
            field_dict["params"] = params
        if catchup is not UNSET:
            field_dict["catchup"] = catchup

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pipeline_schedule_params import PipelineScheduleParams

        d = dict(src_dict)
        cron = d.pop("cron")

        timezone = d.pop("timezone", UNSET)

        _params = d.pop("params", UNSET)
        params: PipelineScheduleParams | Unset
        if isinstance(_params, Unset):
            params = UNSET
        else:
            params = PipelineScheduleParams.from_dict(_params)

        _catchup = d.pop("catchup", UNSET)
        catchup: PipelineScheduleCatchup | Unset
        if isinstance(_catchup, Unset):
            catchup = UNSET
        else:
            catchup = PipelineScheduleCatchup(_catchup)

        pipeline_schedule = cls(
            cron=cron,
            timezone=timezone,
            params=params,
            catchup=catchup,
        )

        return pipeline_schedule

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pipeline_policy_backoff import PipelinePolicyBackoff
    from ..models.pipeline_policy_timeouts import PipelinePolicyTimeouts


T = TypeVar("T", bound="PipelinePolicy")


@_attrs_define
class PipelinePolicy:
    """
    Attributes:
        max_attempts (int | Unset):  Default: 3.
        backoff (PipelinePolicyBackoff | Unset):
        timeouts (PipelinePolicyTimeouts | Unset):
        concurrency (int | Unset):  Default: 4.
        priority (int | Unset):  Default: 10.
        deadline (str | Unset):
    """

    max_attempts: int | Unset = 3
    backoff: PipelinePolicyBackoff | Unset = UNSET
    timeouts: PipelinePolicyTimeouts | Unset = UNSET
    concurrency: int | Unset = 4
    priority: int | Unset = 10
    deadline: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        max_attempts = self.max_attempts

        backoff: dict[str, Any] | Unset = UNSET
        if not isinstance(self.backoff, Unset):
            backoff = self.backoff.to_dict()

        timeouts: dict[str, Any] | Unset = UNSET
        if not isinstance(self.timeouts, Unset):
            timeouts = self.timeouts.to_dict()

        concurrency = self.concurrency

        priority = self.priority

        deadline = self.deadline

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if max_attempts is not UNSET:
            field_dict["max_attempts"] = max_attempts
        if backoff is not UNSET:
            field_dict["backoff"] = backoff
        if timeouts is not UNSET:
            field_dict["timeouts"] = timeouts
        if concurrency is not UNSET:
            field_dict["concurrency"] = concurrency
        if priority is not UNSET:
            field_dict["priority"] = priority
        if deadline is not UNSET:
            field_dict["deadline"] = deadline

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pipeline_policy_backoff import PipelinePolicyBackoff
        from ..models.pipeline_policy_timeouts import PipelinePolicyTimeouts

        d = dict(src_dict)
        max_attempts = d.pop("max_attempts", UNSET)

        _backoff = d.pop("backoff", UNSET)
        backoff: PipelinePolicyBackoff | Unset
        if isinstance(_backoff, Unset):
            backoff = UNSET
        else:
            backoff = PipelinePolicyBackoff.from_dict(_backoff)

        _timeouts = d.pop("timeouts", UNSET)
        timeouts: PipelinePolicyTimeouts | Unset
        if isinstance(_timeouts, Unset):
            timeouts = UNSET
        else:
            timeouts = PipelinePolicyTimeouts.from_dict(_timeouts)

        concurrency = d.pop("concurrency", UNSET)

        priority = d.pop("priority", UNSET)

        deadline = d.pop("deadline", UNSET)

        pipeline_policy = cls(
            max_attempts=max_attempts,
            backoff=backoff,
            timeouts=timeouts,
            concurrency=concurrency,
            priority=priority,
            deadline=deadline,
        )

        return pipeline_policy

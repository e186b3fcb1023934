from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.sluice_event_type import SluiceEventType
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.sluice_event_failure import SluiceEventFailure
    from ..models.sluice_event_landing import SluiceEventLanding


T = TypeVar("T", bound="SluiceEvent")


@_attrs_define
class SluiceEvent:
    """
    Attributes:
        id (str): The Redis stream id; send it back as Last-Event-ID to resume after it.
        type_ (SluiceEventType):
        time (str): When the change was made (ISO 8601).
        state (str): The state the job or landing is in after the change.
        from_ (str | Unset): The state it left (absent when it was created).
        pipeline (str | Unset):
        job_id (str | Unset):
        attempt (int | Unset):
        reason (str | Unset):
        failure (SluiceEventFailure | Unset):
        landing (SluiceEventLanding | Unset):
        trace_id (str | Unset):
    """

    id: str
    type_: SluiceEventType
    time: str
    state: str
    from_: str | Unset = UNSET
    pipeline: str | Unset = UNSET
    job_id: str | Unset = UNSET
    attempt: int | Unset = UNSET
    reason: str | Unset = UNSET
    failure: SluiceEventFailure | Unset = UNSET
    landing: SluiceEventLanding | Unset = UNSET
    trace_id: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        type_ = self.type_.value

        time = self.time

        state = self.state

        from_ = self.from_

        pipeline = self.pipeline

        job_id = self.job_id

        attempt = self.attempt

        reason = self.reason

        failure: dict[str, Any] | Unset = UNSET
        if not isinstance(self.failure, Unset):
            failure = self.failure.to_dict()

        landing: dict[str, Any] | Unset = UNSET
        if not isinstance(self.landing, Unset):
            landing = self.landing.to_dict()

        trace_id = self.trace_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "type": type_,
                "time": time,
                "state": state,
            }
        )
        if from_ is not UNSET:
            field_dict["from"] = from_
        if pipeline is not UNSET:
            field_dict["pipeline"] = pipeline
        if job_id is not UNSET:
            field_dict["jobId"] = job_id
        if attempt is not UNSET:
            field_dict["attempt"] = attempt
        if reason is not UNSET:
            field_dict["reason"] = reason
        if failure is not UNSET:
            field_dict["failure"] = failure
        if landing is not UNSET:
            field_dict["landing"] = landing
        if trace_id is not UNSET:
            field_dict["traceId"] = trace_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.sluice_event_failure import SluiceEventFailure
        from ..models.sluice_event_landing import SluiceEventLanding

        d = dict(src_dict)
        id = d.pop("id")

        type_ = SluiceEventType(d.pop("type"))

        time = d.pop("time")

        state = d.pop("state")

        from_ = d.pop("from", UNSET)

        pipeline = d.pop("pipeline", UNSET)

        job_id = d.pop("jobId", UNSET)

        attempt = d.pop("attempt", UNSET)

        reason = d.pop("reason", UNSET)

        _failure = d.pop("failure", UNSET)
        failure: SluiceEventFailure | Unset
        if isinstance(_failure, Unset):
            failure = UNSET
        else:
            failure = SluiceEventFailure.from_dict(_failure)

        _landing = d.pop("landing", UNSET)
        landing: SluiceEventLanding | Unset
        if isinstance(_landing, Unset):
            landing = UNSET
        else:
            landing = SluiceEventLanding.from_dict(_landing)

        trace_id = d.pop("traceId", UNSET)

        sluice_event = cls(
            id=id,
            type_=type_,
            time=time,
            state=state,
            from_=from_,
            pipeline=pipeline,
            job_id=job_id,
            attempt=attempt,
            reason=reason,
            failure=failure,
            landing=landing,
            trace_id=trace_id,
        )

        sluice_event.additional_properties = d
        return sluice_event

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties

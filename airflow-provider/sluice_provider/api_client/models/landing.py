from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.landing_state import LandingState
from ..types import UNSET, Unset

T = TypeVar("T", bound="Landing")


@_attrs_define
class Landing:
    """
    Attributes:
        fingerprint (str):
        source (str):
        path (str):
        uri (str):
        size (int):
        state (LandingState):
        seen_at (str):
        ready_at (str | Unset):
        batched_at (str | Unset):
        done_at (str | Unset):
        quarantined_at (str | Unset):
        job_id (str | Unset):
        reason (str | Unset): Why it was quarantined (the last time, when it was re-admitted since).
        readmitted_at (str | Unset): When it was last re-admitted from quarantine.
        readmitted_by (str | Unset): Who re-admitted it (the API key's name). Example: API key "ops".
    """

    fingerprint: str
    source: str
    path: str
    uri: str
    size: int
    state: LandingState
    seen_at: str
    ready_at: str | Unset = UNSET
    batched_at: str | Unset = UNSET
    done_at: str | Unset = UNSET
    quarantined_at: str | Unset = UNSET
    job_id: str | Unset = UNSET
    reason: str | Unset = UNSET
    readmitted_at: str | Unset = UNSET
    readmitted_by: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        fingerprint = self.fingerprint

        source = self.source

        path = self.path

        uri = self.uri

        size = self.size

        state = self.state.value

        seen_at = self.seen_at

        ready_at = self.ready_at

        batched_at = self.batched_at

        done_at = self.done_at

        quarantined_at = self.quarantined_at

        job_id = self.job_id

        reason = self.reason

        readmitted_at = self.readmitted_at

        readmitted_by = self.readmitted_by

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "fingerprint": fingerprint,
                "source": source,
                "path": path,
                "uri": uri,
                "size": size,
                "state": state,
                "seenAt": seen_at,
            }
        )
        if ready_at is not UNSET:
            field_dict["readyAt"] = ready_at
        if batched_at is not UNSET:
            field_dict["batchedAt"] = batched_at
        if done_at is not UNSET:
            field_dict["doneAt"] = done_at
        if quarantined_at is not UNSET:
            field_dict["quarantinedAt"] = quarantined_at
        if job_id is not UNSET:
            field_dict["jobId"] = job_id
        if reason is not UNSET:
            field_dict["reason"] = reason
        if readmitted_at is not UNSET:
            field_dict["readmittedAt"] = readmitted_at
        if readmitted_by is not UNSET:
            field_dict["readmittedBy"] = readmitted_by

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        fingerprint = d.pop("fingerprint")

        source = d.pop("source")

        path = d.pop("path")

        uri = d.pop("uri")

        size = d.pop("size")

        state = LandingState(d.pop("state"))

        seen_at = d.pop("seenAt")

        ready_at = d.pop("readyAt", UNSET)

        batched_at = d.pop("batchedAt", UNSET)

        done_at = d.pop("doneAt", UNSET)

        quarantined_at = d.pop("quarantinedAt", UNSET)

        job_id = d.pop("jobId", UNSET)

        reason = d.pop("reason", UNSET)

        readmitted_at = d.pop("readmittedAt", UNSET)

        readmitted_by = d.pop("readmittedBy", UNSET)

        landing = cls(
            fingerprint=fingerprint,
            source=source,
            path=path,
            uri=uri,
            size=size,
            state=state,
            seen_at=seen_at,
            ready_at=ready_at,
            batched_at=batched_at,
            done_at=done_at,
            quarantined_at=quarantined_at,
            job_id=job_id,
            reason=reason,
            readmitted_at=readmitted_at,
            readmitted_by=readmitted_by,
        )

        landing.additional_properties = d
        return landing

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

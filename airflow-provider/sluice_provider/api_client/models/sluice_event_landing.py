from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="SluiceEventLanding")


@_attrs_define
class SluiceEventLanding:
    """
    Attributes:
        fingerprint (str):
        source (str):
        path (str):
        batch_id (str | Unset):
    """

    fingerprint: str
    source: str
    path: str
    batch_id: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        fingerprint = self.fingerprint

        source = self.source

        path = self.path

        batch_id = self.batch_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "fingerprint": fingerprint,
                "source": source,
                "path": path,
            }
        )
        if batch_id is not UNSET:
            field_dict["batchId"] = batch_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        fingerprint = d.pop("fingerprint")

        source = d.pop("source")

        path = d.pop("path")

        batch_id = d.pop("batchId", UNSET)

        sluice_event_landing = cls(
            fingerprint=fingerprint,
            source=source,
            path=path,
            batch_id=batch_id,
        )

        sluice_event_landing.additional_properties = d
        return sluice_event_landing

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

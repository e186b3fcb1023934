from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.sluice_event_failure_class import SluiceEventFailureClass

T = TypeVar("T", bound="SluiceEventFailure")


@_attrs_define
class SluiceEventFailure:
    """
    Attributes:
        class_ (SluiceEventFailureClass):
        message (str):
    """

    class_: SluiceEventFailureClass
    message: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        class_ = self.class_.value

        message = self.message

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "class": class_,
                "message": message,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        class_ = SluiceEventFailureClass(d.pop("class"))

        message = d.pop("message")

        sluice_event_failure = cls(
            class_=class_,
            message=message,
        )

        sluice_event_failure.additional_properties = d
        return sluice_event_failure

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

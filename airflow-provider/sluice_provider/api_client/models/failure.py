from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.failure_class import FailureClass
from ..models.failure_stage import FailureStage
from ..types import UNSET, Unset

T = TypeVar("T", bound="Failure")


@_attrs_define
class Failure:
    """
    Attributes:
        class_ (FailureClass):
        message (str):
        stage (FailureStage):
        attempt (int):
        log_tail (str | Unset):
        input_ (str | Unset):
    """

    class_: FailureClass
    message: str
    stage: FailureStage
    attempt: int
    log_tail: str | Unset = UNSET
    input_: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        class_ = self.class_.value

        message = self.message

        stage = self.stage.value

        attempt = self.attempt

        log_tail = self.log_tail

        input_ = self.input_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "class": class_,
                "message": message,
                "stage": stage,
                "attempt": attempt,
            }
        )
        if log_tail is not UNSET:
            field_dict["logTail"] = log_tail
        if input_ is not UNSET:
            field_dict["input"] = input_

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        class_ = FailureClass(d.pop("class"))

        message = d.pop("message")

        stage = FailureStage(d.pop("stage"))

        attempt = d.pop("attempt")

        log_tail = d.pop("logTail", UNSET)

        input_ = d.pop("input", UNSET)

        failure = cls(
            class_=class_,
            message=message,
            stage=stage,
            attempt=attempt,
            log_tail=log_tail,
            input_=input_,
        )

        failure.additional_properties = d
        return failure

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

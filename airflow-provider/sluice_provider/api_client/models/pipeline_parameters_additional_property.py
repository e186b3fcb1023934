from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.pipeline_parameters_additional_property_type import (
    PipelineParametersAdditionalPropertyType,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="PipelineParametersAdditionalProperty")


@_attrs_define
class PipelineParametersAdditionalProperty:
    """
    Attributes:
        type_ (PipelineParametersAdditionalPropertyType):
        default (bool | float | str | Unset):
        description (str | Unset):
    """

    type_: PipelineParametersAdditionalPropertyType
    default: bool | float | str | Unset = UNSET
    description: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_.value

        default: bool | float | str | Unset
        if isinstance(self.default, Unset):
            default = UNSET
        else:
            default = self.default

        description = self.description

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "type": type_,
            }
        )
        if default is not UNSET:
            field_dict["default"] = default
        if description is not UNSET:
            field_dict["description"] = description

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        type_ = PipelineParametersAdditionalPropertyType(d.pop("type"))

        def _parse_default(data: object) -> bool | float | str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(bool | float | str | Unset, data)

        default = _parse_default(d.pop("default", UNSET))

        description = d.pop("description", UNSET)

        pipeline_parameters_additional_property = cls(
            type_=type_,
            default=default,
            description=description,
        )

        return pipeline_parameters_additional_property

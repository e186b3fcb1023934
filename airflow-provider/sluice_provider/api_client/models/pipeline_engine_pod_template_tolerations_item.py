from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.pipeline_engine_pod_template_tolerations_item_effect import (
    PipelineEnginePodTemplateTolerationsItemEffect,
)
from ..models.pipeline_engine_pod_template_tolerations_item_operator import (
    PipelineEnginePodTemplateTolerationsItemOperator,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="PipelineEnginePodTemplateTolerationsItem")


@_attrs_define
class PipelineEnginePodTemplateTolerationsItem:
    """
    Attributes:
        key (str | Unset):
        operator (PipelineEnginePodTemplateTolerationsItemOperator | Unset):
        value (str | Unset):
        effect (PipelineEnginePodTemplateTolerationsItemEffect | Unset):
        toleration_seconds (int | Unset):
    """

    key: str | Unset = UNSET
    operator: PipelineEnginePodTemplateTolerationsItemOperator | Unset = UNSET
    value: str | Unset = UNSET
    effect: PipelineEnginePodTemplateTolerationsItemEffect | Unset = UNSET
    toleration_seconds: int | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        key = self.key

        operator: str | Unset = UNSET
        if not isinstance(self.operator, Unset):
            operator = self.operator.value

        value = self.value

        effect: str | Unset = UNSET
        if not isinstance(self.effect, Unset):
            effect = self.effect.value

        toleration_seconds = self.toleration_seconds

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if key is not UNSET:
            field_dict["key"] = key
        if operator is not UNSET:
            field_dict["operator"] = operator
        if value is not UNSET:
            field_dict["value"] = value
        if effect is not UNSET:
            field_dict["effect"] = effect
        if toleration_seconds is not UNSET:
            field_dict["toleration_seconds"] = toleration_seconds

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        key = d.pop("key", UNSET)

        _operator = d.pop("operator", UNSET)
        operator: PipelineEnginePodTemplateTolerationsItemOperator | Unset
        if isinstance(_operator, Unset):
            operator = UNSET
        else:
            operator = PipelineEnginePodTemplateTolerationsItemOperator(_operator)

        value = d.pop("value", UNSET)

        _effect = d.pop("effect", UNSET)
        effect: PipelineEnginePodTemplateTolerationsItemEffect | Unset
        if isinstance(_effect, Unset):
            effect = UNSET
        else:
            effect = PipelineEnginePodTemplateTolerationsItemEffect(_effect)

        toleration_seconds = d.pop("toleration_seconds", UNSET)

        pipeline_engine_pod_template_tolerations_item = cls(
            key=key,
            operator=operator,
            value=value,
            effect=effect,
            toleration_seconds=toleration_seconds,
        )

        return pipeline_engine_pod_template_tolerations_item

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.pipeline_sources_item_type_1_ready_rule import (
    PipelineSourcesItemType1ReadyRule,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="PipelineSourcesItemType1Ready")


@_attrs_define
class PipelineSourcesItemType1Ready:
    """
    Attributes:
        rule (PipelineSourcesItemType1ReadyRule | Unset):  Default: PipelineSourcesItemType1ReadyRule.STABLE.
        marker (str | Unset):  Default: '_SUCCESS'.
    """

    rule: PipelineSourcesItemType1ReadyRule | Unset = (
        PipelineSourcesItemType1ReadyRule.STABLE
    )
    marker: str | Unset = "_SUCCESS"

    def to_dict(self) -> dict[str, Any]:
        rule: str | Unset = UNSET
        if not isinstance(self.rule, Unset):
            rule = self.rule.value

        marker = self.marker

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if rule is not UNSET:
            field_dict["rule"] = rule
        if marker is not UNSET:
            field_dict["marker"] = marker

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        _rule = d.pop("rule", UNSET)
        rule: PipelineSourcesItemType1ReadyRule | Unset
        if isinstance(_rule, Unset):
            rule = UNSET
        else:
            rule = PipelineSourcesItemType1ReadyRule(_rule)

        marker = d.pop("marker", UNSET)

        pipeline_sources_item_type_1_ready = cls(
            rule=rule,
            marker=marker,
        )

        return pipeline_sources_item_type_1_ready

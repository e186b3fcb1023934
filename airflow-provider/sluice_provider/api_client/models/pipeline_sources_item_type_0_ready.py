from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.pipeline_sources_item_type_0_ready_rule import (
    PipelineSourcesItemType0ReadyRule,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="PipelineSourcesItemType0Ready")


@_attrs_define
class PipelineSourcesItemType0Ready:
    """
    Attributes:
        rule (PipelineSourcesItemType0ReadyRule | Unset):  Default: PipelineSourcesItemType0ReadyRule.STABLE.
        quiet (int | str | Unset):  Default: 2000.
        marker (str | Unset):  Default: '_SUCCESS'.
        temp (list[str] | Unset):
        footer_wait (int | str | Unset):  Default: 600000.
    """

    rule: PipelineSourcesItemType0ReadyRule | Unset = (
        PipelineSourcesItemType0ReadyRule.STABLE
    )
    quiet: int | str | Unset = 2000
    marker: str | Unset = "_SUCCESS"
    temp: list[str] | Unset = UNSET
    footer_wait: int | str | Unset = 600000

    def to_dict(self) -> dict[str, Any]:
        rule: str | Unset = UNSET
        if not isinstance(self.rule, Unset):
            rule = self.rule.value

        quiet: int | str | Unset
        if isinstance(self.quiet, Unset):
            quiet = UNSET
        else:
            quiet = self.quiet

        marker = self.marker

        temp: list[str] | Unset = UNSET
        if not isinstance(self.temp, Unset):
            temp = self.temp

        footer_wait: int | str | Unset
        if isinstance(self.footer_wait, Unset):
            footer_wait = UNSET
        else:
            footer_wait = self.footer_wait

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if rule is not UNSET:
            field_dict["rule"] = rule
        if quiet is not UNSET:
            field_dict["quiet"] = quiet
        if marker is not UNSET:
            field_dict["marker"] = marker
        if temp is not UNSET:
            field_dict["temp"] = temp
        if footer_wait is not UNSET:
            field_dict["footer_wait"] = footer_wait

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        _rule = d.pop("rule", UNSET)
        rule: PipelineSourcesItemType0ReadyRule | Unset
        if isinstance(_rule, Unset):
            rule = UNSET
        else:
            rule = PipelineSourcesItemType0ReadyRule(_rule)

        def _parse_quiet(data: object) -> int | str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(int | str | Unset, data)

        quiet = _parse_quiet(d.pop("quiet", UNSET))

        marker = d.pop("marker", UNSET)

        temp = cast(list[str], d.pop("temp", UNSET))

        def _parse_footer_wait(data: object) -> int | str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(int | str | Unset, data)

        footer_wait = _parse_footer_wait(d.pop("footer_wait", UNSET))

        pipeline_sources_item_type_0_ready = cls(
            rule=rule,
            quiet=quiet,
            marker=marker,
            temp=temp,
            footer_wait=footer_wait,
        )

        return pipeline_sources_item_type_0_ready

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PipelinePolicyBackoff")


@_attrs_define
class PipelinePolicyBackoff:
    """
    Attributes:
        initial (int | str | Unset):  Default: 5000.
        max_ (int | str | Unset):  Default: 300000.
        factor (float | Unset):  Default: 2.0.
    """

    initial: int | str | Unset = 5000
    max_: int | str | Unset = 300000
    factor: float | Unset = 2.0

    def to_dict(self) -> dict[str, Any]:
        initial: int | str | Unset
        if isinstance(self.initial, Unset):
            initial = UNSET
        else:
            initial = self.initial

        max_: int | str | Unset
        if isinstance(self.max_, Unset):
            max_ = UNSET
        else:
            max_ = self.max_

        factor = self.factor

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if initial is not UNSET:
            field_dict["initial"] = initial
        if max_ is not UNSET:
            field_dict["max"] = max_
        if factor is not UNSET:
            field_dict["factor"] = factor

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_initial(data: object) -> int | str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(int | str | Unset, data)

        initial = _parse_initial(d.pop("initial", UNSET))

        def _parse_max_(data: object) -> int | str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(int | str | Unset, data)

        max_ = _parse_max_(d.pop("max", UNSET))

        factor = d.pop("factor", UNSET)

        pipeline_policy_backoff = cls(
            initial=initial,
            max_=max_,
            factor=factor,
        )

        return pipeline_policy_backoff

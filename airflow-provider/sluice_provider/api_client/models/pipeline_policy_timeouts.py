from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.pipeline_policy_timeouts_queued_type_0 import (
    PipelinePolicyTimeoutsQueuedType0,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="PipelinePolicyTimeouts")


@_attrs_define
class PipelinePolicyTimeouts:
    """
    Attributes:
        queued (int | PipelinePolicyTimeoutsQueuedType0 | str | Unset):  Default: 86400000.
        launching (int | str | Unset):  Default: 120000.
        running (int | str | Unset):  Default: 7200000.
        loading (int | str | Unset):  Default: 1800000.
    """

    queued: int | PipelinePolicyTimeoutsQueuedType0 | str | Unset = 86400000
    launching: int | str | Unset = 120000
    running: int | str | Unset = 7200000
    loading: int | str | Unset = 1800000

    def to_dict(self) -> dict[str, Any]:
        queued: int | str | Unset
        if isinstance(self.queued, Unset):
            queued = UNSET
        elif isinstance(self.queued, PipelinePolicyTimeoutsQueuedType0):
            queued = self.queued.value
        else:
            queued = self.queued

        launching: int | str | Unset
        if isinstance(self.launching, Unset):
            launching = UNSET
        else:
            launching = self.launching

        running: int | str | Unset
        if isinstance(self.running, Unset):
            running = UNSET
        else:
            running = self.running

        loading: int | str | Unset
        if isinstance(self.loading, Unset):
            loading = UNSET
        else:
            loading = self.loading

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if queued is not UNSET:
            field_dict["queued"] = queued
        if launching is not UNSET:
            field_dict["launching"] = launching
        if running is not UNSET:
            field_dict["running"] = running
        if loading is not UNSET:
            field_dict["loading"] = loading

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_queued(
            data: object,
        ) -> int | PipelinePolicyTimeoutsQueuedType0 | str | Unset:
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                queued_type_0 = PipelinePolicyTimeoutsQueuedType0(data)

                return queued_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(int | PipelinePolicyTimeoutsQueuedType0 | str | Unset, data)

        queued = _parse_queued(d.pop("queued", UNSET))

        def _parse_launching(data: object) -> int | str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(int | str | Unset, data)

        launching = _parse_launching(d.pop("launching", UNSET))

        def _parse_running(data: object) -> int | str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(int | str | Unset, data)

        running = _parse_running(d.pop("running", UNSET))

        def _parse_loading(data: object) -> int | str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(int | str | Unset, data)

        loading = _parse_loading(d.pop("loading", UNSET))

        pipeline_policy_timeouts = cls(
            queued=queued,
            launching=launching,
            running=running,
            loading=loading,
        )

        return pipeline_policy_timeouts

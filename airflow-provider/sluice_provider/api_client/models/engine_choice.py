from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.engine_choice_engine import EngineChoiceEngine

T = TypeVar("T", bound="EngineChoice")


@_attrs_define
class EngineChoice:
    """The engine the latest attempt runs on and why, in words: "embedded: 46 MB ≤ 2 GB", "spark: 3.1 GB > 2 GB
    (SLUICE_EMBEDDED_MAX_BYTES)" (docs/adr/0021-embedded-engine.md).

        Attributes:
            attempt (int):
            engine (EngineChoiceEngine):
            reason (str):
    """

    attempt: int
    engine: EngineChoiceEngine
    reason: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        attempt = self.attempt

        engine = self.engine.value

        reason = self.reason

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempt": attempt,
                "engine": engine,
                "reason": reason,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        attempt = d.pop("attempt")

        engine = EngineChoiceEngine(d.pop("engine"))

        reason = d.pop("reason")

        engine_choice = cls(
            attempt=attempt,
            engine=engine,
            reason=reason,
        )

        engine_choice.additional_properties = d
        return engine_choice

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

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="PipelineEngineEnvItemSecret")


@_attrs_define
class PipelineEngineEnvItemSecret:
    """
    Attributes:
        name (str):
        key (str):
    """

    name: str
    key: str

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        key = self.key

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "key": key,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        key = d.pop("key")

        pipeline_engine_env_item_secret = cls(
            name=name,
            key=key,
        )

        return pipeline_engine_env_item_secret

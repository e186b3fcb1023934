from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pipeline_engine_env_item_secret import PipelineEngineEnvItemSecret


T = TypeVar("T", bound="PipelineEngineEnvItem")


@_attrs_define
class PipelineEngineEnvItem:
    """
    Attributes:
        name (str):
        value (str | Unset):
        secret (PipelineEngineEnvItemSecret | Unset):
    """

    name: str
    value: str | Unset = UNSET
    secret: PipelineEngineEnvItemSecret | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        value = self.value

        secret: dict[str, Any] | Unset = UNSET
        if not isinstance(self.secret, Unset):
            secret = self.secret.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
            }
        )
        if value is not UNSET:
            field_dict["value"] = value
        if secret is not UNSET:
            field_dict["secret"] = secret

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pipeline_engine_env_item_secret import PipelineEngineEnvItemSecret

        d = dict(src_dict)
        name = d.pop("name")

        value = d.pop("value", UNSET)

        _secret = d.pop("secret", UNSET)
        secret: PipelineEngineEnvItemSecret | Unset
        if isinstance(_secret, Unset):
            secret = UNSET
        else:
            secret = PipelineEngineEnvItemSecret.from_dict(_secret)

        pipeline_engine_env_item = cls(
            name=name,
            value=value,
            secret=secret,
        )

        return pipeline_engine_env_item

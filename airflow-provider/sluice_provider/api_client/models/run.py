from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Run")


@_attrs_define
class Run:
    """
    Attributes:
        launcher (str):
        run_id (str):
        attempt (int):
        started_at (str):
        ui_url (str | Unset):
        namespace (str | Unset):
        name (str | Unset):
        history_url (str | Unset):
    """

    launcher: str
    run_id: str
    attempt: int
    started_at: str
    ui_url: str | Unset = UNSET
    namespace: str | Unset = UNSET
    name: str | Unset = UNSET
    history_url: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        launcher = self.launcher

        run_id = self.run_id

        attempt = self.attempt

        started_at = self.started_at

        ui_url = self.ui_url

        namespace = self.namespace

        name = self.name

        history_url = self.history_url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "launcher": launcher,
                "runId": run_id,
                "attempt": attempt,
                "startedAt": started_at,
            }
        )
        if ui_url is not UNSET:
            field_dict["uiUrl"] = ui_url
        if namespace is not UNSET:
            field_dict["namespace"] = namespace
        if name is not UNSET:
            field_dict["name"] = name
        if history_url is not UNSET:
            field_dict["historyUrl"] = history_url

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        launcher = d.pop("launcher")

        run_id = d.pop("runId")

        attempt = d.pop("attempt")

        started_at = d.pop("startedAt")

        ui_url = d.pop("uiUrl", UNSET)

        namespace = d.pop("namespace", UNSET)

        name = d.pop("name", UNSET)

        history_url = d.pop("historyUrl", UNSET)

        run = cls(
            launcher=launcher,
            run_id=run_id,
            attempt=attempt,
            started_at=started_at,
            ui_url=ui_url,
            namespace=namespace,
            name=name,
            history_url=history_url,
        )

        run.additional_properties = d
        return run

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

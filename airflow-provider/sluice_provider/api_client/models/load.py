from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.load_dialect import LoadDialect
from ..models.load_mode import LoadMode

T = TypeVar("T", bound="Load")


@_attrs_define
class Load:
    """
    Attributes:
        sink (str):
        dialect (LoadDialect):
        table (str):
        mode (LoadMode):
        run_attempt (int):
        rows_staged (int):
        inserted (int):
        updated (int):
        deleted (int):
        duration_ms (int):
        loaded_at (str):
        already_loaded (bool):
        checksum (str):
    """

    sink: str
    dialect: LoadDialect
    table: str
    mode: LoadMode
    run_attempt: int
    rows_staged: int
    inserted: int
    updated: int
    deleted: int
    duration_ms: int
    loaded_at: str
    already_loaded: bool
    checksum: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        sink = self.sink

        dialect = self.dialect.value

        table = self.table

        mode = self.mode.value

        run_attempt = self.run_attempt

        rows_staged = self.rows_staged

        inserted = self.inserted

        updated = self.updated

        deleted = self.deleted

        duration_ms = self.duration_ms

        loaded_at = self.loaded_at

        already_loaded = self.already_loaded

        checksum = self.checksum

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "sink": sink,
                "dialect": dialect,
                "table": table,
                "mode": mode,
                "runAttempt": run_attempt,
                "rowsStaged": rows_staged,
                "inserted": inserted,
                "updated": updated,
                "deleted": deleted,
                "durationMs": duration_ms,
                "loadedAt": loaded_at,
                "alreadyLoaded": already_loaded,
                "checksum": checksum,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        sink = d.pop("sink")

        dialect = LoadDialect(d.pop("dialect"))

        table = d.pop("table")

        mode = LoadMode(d.pop("mode"))

        run_attempt = d.pop("runAttempt")

        rows_staged = d.pop("rowsStaged")

        inserted = d.pop("inserted")

        updated = d.pop("updated")

        deleted = d.pop("deleted")

        duration_ms = d.pop("durationMs")

        loaded_at = d.pop("loadedAt")

        already_loaded = d.pop("alreadyLoaded")

        checksum = d.pop("checksum")

        load = cls(
            sink=sink,
            dialect=dialect,
            table=table,
            mode=mode,
            run_attempt=run_attempt,
            rows_staged=rows_staged,
            inserted=inserted,
            updated=updated,
            deleted=deleted,
            duration_ms=duration_ms,
            loaded_at=loaded_at,
            already_loaded=already_loaded,
            checksum=checksum,
        )

        load.additional_properties = d
        return load

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

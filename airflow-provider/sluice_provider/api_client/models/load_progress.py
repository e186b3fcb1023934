from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.load_progress_phase import LoadProgressPhase

T = TypeVar("T", bound="LoadProgress")


@_attrs_define
class LoadProgress:
    """A SQL load while it runs (docs/adr/0024-load-progress.md).

    Attributes:
        sink (str): The SQL output being loaded, as `connection:table` (its outcome in `loads` has the same name).
        phase (LoadProgressPhase): `staging`: the run's rows are going into a staging table; `staged`: all are in, and
            the load checks them and waits for its turn at the table (another load into it goes first); `applying`: the one
            transaction applies them to the table (merge, replace or insert) and writes the load ledger; `committed`: done
            (its outcome in `loads` follows at once).
        rows_staged (int): Rows in the staging table so far.
        rows_total (int): Rows of the committed run, which the load stages in all: the job's `output.rowsOut`.
        updated_at (str): When the worker recorded this: at each phase, and every 2 s or so while rows are staged. A
            phase that waits (for the table, say) keeps the time it began.
    """

    sink: str
    phase: LoadProgressPhase
    rows_staged: int
    rows_total: int
    updated_at: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        sink = self.sink

        phase = self.phase.value

        rows_staged = self.rows_staged

        rows_total = self.rows_total

        updated_at = self.updated_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "sink": sink,
                "phase": phase,
                "rowsStaged": rows_staged,
                "rowsTotal": rows_total,
                "updatedAt": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        sink = d.pop("sink")

        phase = LoadProgressPhase(d.pop("phase"))

        rows_staged = d.pop("rowsStaged")

        rows_total = d.pop("rowsTotal")

        updated_at = d.pop("updatedAt")

        load_progress = cls(
            sink=sink,
            phase=phase,
            rows_staged=rows_staged,
            rows_total=rows_total,
            updated_at=updated_at,
        )

        load_progress.additional_properties = d
        return load_progress

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

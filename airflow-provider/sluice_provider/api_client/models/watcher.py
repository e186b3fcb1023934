from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.watcher_kind import WatcherKind
from ..types import UNSET, Unset

T = TypeVar("T", bound="Watcher")


@_attrs_define
class Watcher:
    """
    Attributes:
        source (str): The source id, as landings name it.
        kind (WatcherKind):
        location (str): The folder, or s3://bucket/prefix.
        pipelines (list[str]):
        expected_every_ms (int): How often the source is listed in full: `rescan` for a folder, `interval` for an S3
            prefix.
        late (bool): No good listing for more than twice `expectedEveryMs` plus a minute: no watcher is looking, or
            every listing fails.
        last_listing_at (str | Unset): When a watcher last listed the source without error (absent: never, since Redis
            was emptied).
        files (int | Unset):
        listing_ms (int | Unset):
        error (str | Unset): The last listing error, until a listing works again.
        error_at (str | Unset):
        process (str | Unset): The host and pid of the watcher that wrote this.
    """

    source: str
    kind: WatcherKind
    location: str
    pipelines: list[str]
    expected_every_ms: int
    late: bool
    last_listing_at: str | Unset = UNSET
    files: int | Unset = UNSET
    listing_ms: int | Unset = UNSET
    error: str | Unset = UNSET
    error_at: str | Unset = UNSET
    process: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        source = self.source

        kind = self.kind.value

        location = self.location

        pipelines = self.pipelines

        expected_every_ms = self.expected_every_ms

        late = self.late

        last_listing_at = self.last_listing_at

        files = self.files

        listing_ms = self.listing_ms

        error = self.error

        error_at = self.error_at

        process = self.process

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "source": source,
                "kind": kind,
                "location": location,
                "pipelines": pipelines,
                "expectedEveryMs": expected_every_ms,
                "late": late,
            }
        )
        if last_listing_at is not UNSET:
            field_dict["lastListingAt"] = last_listing_at
        if files is not UNSET:
            field_dict["files"] = files
        if listing_ms is not UNSET:
            field_dict["listingMs"] = listing_ms
        if error is not UNSET:
            field_dict["error"] = error
        if error_at is not UNSET:
            field_dict["errorAt"] = error_at
        if process is not UNSET:
            field_dict["process"] = process

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        source = d.pop("source")

        kind = WatcherKind(d.pop("kind"))

        location = d.pop("location")

        pipelines = cast(list[str], d.pop("pipelines"))

        expected_every_ms = d.pop("expectedEveryMs")

        late = d.pop("late")

        last_listing_at = d.pop("lastListingAt", UNSET)

        files = d.pop("files", UNSET)

        listing_ms = d.pop("listingMs", UNSET)

        error = d.pop("error", UNSET)

        error_at = d.pop("errorAt", UNSET)

        process = d.pop("process", UNSET)

        watcher = cls(
            source=source,
            kind=kind,
            location=location,
            pipelines=pipelines,
            expected_every_ms=expected_every_ms,
            late=late,
            last_listing_at=last_listing_at,
            files=files,
            listing_ms=listing_ms,
            error=error,
            error_at=error_at,
            process=process,
        )

        watcher.additional_properties = d
        return watcher

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

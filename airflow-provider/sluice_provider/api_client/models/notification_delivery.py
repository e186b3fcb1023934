from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.notification_delivery_event import NotificationDeliveryEvent
from ..types import UNSET, Unset

T = TypeVar("T", bound="NotificationDelivery")


@_attrs_define
class NotificationDelivery:
    """
    Attributes:
        target (str):
        event (NotificationDeliveryEvent):
        delivery (str):
        attempt (int):
        ok (bool):
        at (str):
        pipeline (str | Unset):
        job_id (str | Unset):
        status (int | Unset):
        error (str | Unset):
        final (bool | Unset):
    """

    target: str
    event: NotificationDeliveryEvent
    delivery: str
    attempt: int
    ok: bool
    at: str
    pipeline: str | Unset = UNSET
    job_id: str | Unset = UNSET
    status: int | Unset = UNSET
    error: str | Unset = UNSET
    final: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        target = self.target

        event = self.event.value

        delivery = self.delivery

        attempt = self.attempt

        ok = self.ok

        at = self.at

        pipeline = self.pipeline

        job_id = self.job_id

        status = self.status

        error = self.error

        final = self.final

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "target": target,
                "event": event,
                "delivery": delivery,
                "attempt": attempt,
                "ok": ok,
                "at": at,
            }
        )
        if pipeline is not UNSET:
            field_dict["pipeline"] = pipeline
        if job_id is not UNSET:
            field_dict["jobId"] = job_id
        if status is not UNSET:
            field_dict["status"] = status
        if error is not UNSET:
            field_dict["error"] = error
        if final is not UNSET:
            field_dict["final"] = final

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        target = d.pop("target")

        event = NotificationDeliveryEvent(d.pop("event"))

        delivery = d.pop("delivery")

        attempt = d.pop("attempt")

        ok = d.pop("ok")

        at = d.pop("at")

        pipeline = d.pop("pipeline", UNSET)

        job_id = d.pop("jobId", UNSET)

        status = d.pop("status", UNSET)

        error = d.pop("error", UNSET)

        final = d.pop("final", UNSET)

        notification_delivery = cls(
            target=target,
            event=event,
            delivery=delivery,
            attempt=attempt,
            ok=ok,
            at=at,
            pipeline=pipeline,
            job_id=job_id,
            status=status,
            error=error,
            final=final,
        )

        notification_delivery.additional_properties = d
        return notification_delivery

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

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.submit_request_labels import SubmitRequestLabels
    from ..models.submit_request_parameters import SubmitRequestParameters


T = TypeVar("T", bound="SubmitRequest")


@_attrs_define
class SubmitRequest:
    """
    Attributes:
        pipeline (str):
        parameters (SubmitRequestParameters | Unset):
        inputs (list[str] | Unset):
        priority (int | Unset):
        labels (SubmitRequestLabels | Unset):
    """

    pipeline: str
    parameters: SubmitRequestParameters | Unset = UNSET
    inputs: list[str] | Unset = UNSET
    priority: int | Unset = UNSET
    labels: SubmitRequestLabels | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        pipeline = self.pipeline

        parameters: dict[str, Any] | Unset = UNSET
        if not isinstance(self.parameters, Unset):
            parameters = self.parameters.to_dict()

        inputs: list[str] | Unset = UNSET
        if not isinstance(self.inputs, Unset):
            inputs = self.inputs

        priority = self.priority

        labels: dict[str, Any] | Unset = UNSET
        if not isinstance(self.labels, Unset):
            labels = self.labels.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "pipeline": pipeline,
            }
        )
        if parameters is not UNSET:
            field_dict["parameters"] = parameters
        if inputs is not UNSET:
            field_dict["inputs"] = inputs
        if priority is not UNSET:
            field_dict["priority"] = priority
        if labels is not UNSET:
            field_dict["labels"] = labels

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.submit_request_labels import SubmitRequestLabels
        from ..models.submit_request_parameters import SubmitRequestParameters

        d = dict(src_dict)
        pipeline = d.pop("pipeline")

        _parameters = d.pop("parameters", UNSET)
        parameters: SubmitRequestParameters | Unset
        if isinstance(_parameters, Unset):
            parameters = UNSET
        else:
            parameters = SubmitRequestParameters.from_dict(_parameters)

        inputs = cast(list[str], d.pop("inputs", UNSET))

        priority = d.pop("priority", UNSET)

        _labels = d.pop("labels", UNSET)
        labels: SubmitRequestLabels | Unset
        if isinstance(_labels, Unset):
            labels = UNSET
        else:
            labels = SubmitRequestLabels.from_dict(_labels)

        submit_request = cls(
            pipeline=pipeline,
            parameters=parameters,
            inputs=inputs,
            priority=priority,
            labels=labels,
        )

        return submit_request

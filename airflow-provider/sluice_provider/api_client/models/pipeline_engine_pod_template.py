from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pipeline_engine_pod_template_annotations import (
        PipelineEnginePodTemplateAnnotations,
    )
    from ..models.pipeline_engine_pod_template_labels import (
        PipelineEnginePodTemplateLabels,
    )
    from ..models.pipeline_engine_pod_template_node_selector import (
        PipelineEnginePodTemplateNodeSelector,
    )
    from ..models.pipeline_engine_pod_template_tolerations_item import (
        PipelineEnginePodTemplateTolerationsItem,
    )


T = TypeVar("T", bound="PipelineEnginePodTemplate")


@_attrs_define
class PipelineEnginePodTemplate:
    """
    Attributes:
        node_selector (PipelineEnginePodTemplateNodeSelector | Unset):
        tolerations (list[PipelineEnginePodTemplateTolerationsItem] | Unset):
        labels (PipelineEnginePodTemplateLabels | Unset):
        annotations (PipelineEnginePodTemplateAnnotations | Unset):
    """

    node_selector: PipelineEnginePodTemplateNodeSelector | Unset = UNSET
    tolerations: list[PipelineEnginePodTemplateTolerationsItem] | Unset = UNSET
    labels: PipelineEnginePodTemplateLabels | Unset = UNSET
    annotations: PipelineEnginePodTemplateAnnotations | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        node_selector: dict[str, Any] | Unset = UNSET
        if not isinstance(self.node_selector, Unset):
            node_selector = self.node_selector.to_dict()

        tolerations: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.tolerations, Unset):
            tolerations = []
            for tolerations_item_data in self.tolerations:
                tolerations_item = tolerations_item_data.to_dict()
                tolerations.append(tolerations_item)

        labels: dict[str, Any] | Unset = UNSET
        if not isinstance(self.labels, Unset):
            labels = self.labels.to_dict()

        annotations: dict[str, Any] | Unset = UNSET
        if not isinstance(self.annotations, Unset):
            annotations = self.annotations.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if node_selector is not UNSET:
            field_dict["node_selector"] = node_selector
        if tolerations is not UNSET:
            field_dict["tolerations"] = tolerations
        if labels is not UNSET:
            field_dict["labels"] = labels
        if annotations is not UNSET:
            field_dict["annotations"] = annotations

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pipeline_engine_pod_template_annotations import (
            PipelineEnginePodTemplateAnnotations,
        )
        from ..models.pipeline_engine_pod_template_labels import (
            PipelineEnginePodTemplateLabels,
        )
        from ..models.pipeline_engine_pod_template_node_selector import (
            PipelineEnginePodTemplateNodeSelector,
        )
        from ..models.pipeline_engine_pod_template_tolerations_item import (
            PipelineEnginePodTemplateTolerationsItem,
        )

        d = dict(src_dict)
        _node_selector = d.pop("node_selector", UNSET)
        node_selector: PipelineEnginePodTemplateNodeSelector | Unset
        if isinstance(_node_selector, Unset):
            node_selector = UNSET
        else:
            node_selector = PipelineEnginePodTemplateNodeSelector.from_dict(
                _node_selector
            )

        _tolerations = d.pop("tolerations", UNSET)
        tolerations: list[PipelineEnginePodTemplateTolerationsItem] | Unset = UNSET
        if _tolerations is not UNSET:
            tolerations = []
            for tolerations_item_data in _tolerations:
                tolerations_item = PipelineEnginePodTemplateTolerationsItem.from_dict(
                    tolerations_item_data
                )

                tolerations.append(tolerations_item)

        _labels = d.pop("labels", UNSET)
        labels: PipelineEnginePodTemplateLabels | Unset
        if isinstance(_labels, Unset):
            labels = UNSET
        else:
            labels = PipelineEnginePodTemplateLabels.from_dict(_labels)

        _annotations = d.pop("annotations", UNSET)
        annotations: PipelineEnginePodTemplateAnnotations | Unset
        if isinstance(_annotations, Unset):
            annotations = UNSET
        else:
            annotations = PipelineEnginePodTemplateAnnotations.from_dict(_annotations)

        pipeline_engine_pod_template = cls(
            node_selector=node_selector,
            tolerations=tolerations,
            labels=labels,
            annotations=annotations,
        )

        return pipeline_engine_pod_template

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
        ui_url (str | Unset): The live Spark UI (from SLUICE_K8S_UI_URL). It answers only while the run lives: once the
            run ended, historyUrl is the link to follow.
        namespace (str | Unset):
        name (str | Unset):
        history_url (str | Unset): The Spark history server's page of the run (from SLUICE_K8S_HISTORY_URL), the link
            once the run ended. Absent until the values its template needs are known: the Spark application id arrives after
            the launch (k8s-operator), and k8s-native runs have none.
        spark_state (str | Unset): Kubernetes runs: the run's state in the Spark Operator's words (SUBMITTED, RUNNING,
            COMPLETED, FAILED, SUBMISSION_FAILED, …); for k8s-native the driver pod's phase in those words. Updated by the
            worker as it watches the run; it keeps the last state seen once the run ended.
        table (str | Unset): The lake table the run writes to, as the pipeline said at its launch (its run folder is
            `<table>/run=<job>-<attempt>/`).
    """

    launcher: str
    run_id: str
    attempt: int
    started_at: str
    ui_url: str | Unset = UNSET
    namespace: str | Unset = UNSET
    name: str | Unset = UNSET
    history_url: str | Unset = UNSET
    spark_state: str | Unset = UNSET
    table: str | Unset = UNSET
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

        spark_state = self.spark_state

        table = self.table

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
        if spark_state is not UNSET:
            field_dict["sparkState"] = spark_state
        if table is not UNSET:
            field_dict["table"] = table

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

        spark_state = d.pop("sparkState", UNSET)

        table = d.pop("table", UNSET)

        run = cls(
            launcher=launcher,
            run_id=run_id,
            attempt=attempt,
            started_at=started_at,
            ui_url=ui_url,
            namespace=namespace,
            name=name,
            history_url=history_url,
            spark_state=spark_state,
            table=table,
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

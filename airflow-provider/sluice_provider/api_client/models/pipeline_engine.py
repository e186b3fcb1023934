from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.pipeline_engine_app import PipelineEngineApp
from ..models.pipeline_engine_launcher import PipelineEngineLauncher
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pipeline_engine_conf import PipelineEngineConf


T = TypeVar("T", bound="PipelineEngine")


@_attrs_define
class PipelineEngine:
    """
    Attributes:
        launcher (PipelineEngineLauncher | Unset):  Default: PipelineEngineLauncher.LOCAL.
        app (PipelineEngineApp | Unset):  Default: PipelineEngineApp.AGGREGATE.
        driver_memory (str | Unset):  Default: '1g'.
        executor_memory (str | Unset):  Default: '1g'.
        cores (int | Unset):  Default: 2.
        conf (PipelineEngineConf | Unset):
    """

    launcher: PipelineEngineLauncher | Unset = PipelineEngineLauncher.LOCAL
    app: PipelineEngineApp | Unset = PipelineEngineApp.AGGREGATE
    driver_memory: str | Unset = "1g"
    executor_memory: str | Unset = "1g"
    cores: int | Unset = 2
    conf: PipelineEngineConf | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        launcher: str | Unset = UNSET
        if not isinstance(self.launcher, Unset):
            launcher = self.launcher.value

        app: str | Unset = UNSET
        if not isinstance(self.app, Unset):
            app = self.app.value

        driver_memory = self.driver_memory

        executor_memory = self.executor_memory

        cores = self.cores

        conf: dict[str, Any] | Unset = UNSET
        if not isinstance(self.conf, Unset):
            conf = self.conf.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if launcher is not UNSET:
            field_dict["launcher"] = launcher
        if app is not UNSET:
            field_dict["app"] = app
        if driver_memory is not UNSET:
            field_dict["driver_memory"] = driver_memory
        if executor_memory is not UNSET:
            field_dict["executor_memory"] = executor_memory
        if cores is not UNSET:
            field_dict["cores"] = cores
        if conf is not UNSET:
            field_dict["conf"] = conf

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pipeline_engine_conf import PipelineEngineConf

        d = dict(src_dict)
        _launcher = d.pop("launcher", UNSET)
        launcher: PipelineEngineLauncher | Unset
        if isinstance(_launcher, Unset):
            launcher = UNSET
        else:
            launcher = PipelineEngineLauncher(_launcher)

        _app = d.pop("app", UNSET)
        app: PipelineEngineApp | Unset
        if isinstance(_app, Unset):
            app = UNSET
        else:
            app = PipelineEngineApp(_app)

        driver_memory = d.pop("driver_memory", UNSET)

        executor_memory = d.pop("executor_memory", UNSET)

        cores = d.pop("cores", UNSET)

        _conf = d.pop("conf", UNSET)
        conf: PipelineEngineConf | Unset
        if isinstance(_conf, Unset):
            conf = UNSET
        else:
            conf = PipelineEngineConf.from_dict(_conf)

        pipeline_engine = cls(
            launcher=launcher,
            app=app,
            driver_memory=driver_memory,
            executor_memory=executor_memory,
            cores=cores,
            conf=conf,
        )

        return pipeline_engine

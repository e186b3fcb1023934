from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.pipeline_engine_app import PipelineEngineApp
from ..models.pipeline_engine_fallback import PipelineEngineFallback
from ..models.pipeline_engine_kind import PipelineEngineKind
from ..models.pipeline_engine_launcher import PipelineEngineLauncher
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pipeline_engine_conf import PipelineEngineConf
    from ..models.pipeline_engine_driver import PipelineEngineDriver
    from ..models.pipeline_engine_dynamic_allocation import (
        PipelineEngineDynamicAllocation,
    )
    from ..models.pipeline_engine_env_item import PipelineEngineEnvItem
    from ..models.pipeline_engine_executor import PipelineEngineExecutor
    from ..models.pipeline_engine_pod_template import PipelineEnginePodTemplate
    from ..models.pipeline_engine_volumes_item import PipelineEngineVolumesItem


T = TypeVar("T", bound="PipelineEngine")


@_attrs_define
class PipelineEngine:
    """
    Attributes:
        launcher (PipelineEngineLauncher | Unset):  Default: PipelineEngineLauncher.LOCAL.
        kind (PipelineEngineKind | Unset):  Default: PipelineEngineKind.AUTO.
        fallback (PipelineEngineFallback | Unset):  Default: PipelineEngineFallback.SPARK.
        app (PipelineEngineApp | Unset):  Default: PipelineEngineApp.AGGREGATE.
        driver_memory (str | Unset):  Default: '1g'.
        executor_memory (str | Unset):  Default: '1g'.
        cores (int | Unset):  Default: 2.
        conf (PipelineEngineConf | Unset):
        namespace (str | Unset):
        image (str | Unset):
        service_account (str | Unset):  Default: 'spark'.
        driver (PipelineEngineDriver | Unset):
        executor (PipelineEngineExecutor | Unset):
        dynamic_allocation (PipelineEngineDynamicAllocation | Unset):
        env (list[PipelineEngineEnvItem] | Unset):
        volumes (list[PipelineEngineVolumesItem] | Unset):
        pod_template (PipelineEnginePodTemplate | Unset):
    """

    launcher: PipelineEngineLauncher | Unset = PipelineEngineLauncher.LOCAL
    kind: PipelineEngineKind | Unset = PipelineEngineKind.AUTO
    fallback: PipelineEngineFallback | Unset = PipelineEngineFallback.SPARK
    app: PipelineEngineApp | Unset = PipelineEngineApp.AGGREGATE
    driver_memory: str | Unset = "1g"
    executor_memory: str | Unset = "1g"
    cores: int | Unset = 2
    conf: PipelineEngineConf | Unset = UNSET
    namespace: str | Unset = UNSET
    image: str | Unset = UNSET
    service_account: str | Unset = "spark"
    driver: PipelineEngineDriver | Unset = UNSET
    executor: PipelineEngineExecutor | Unset = UNSET
    dynamic_allocation: PipelineEngineDynamicAllocation | Unset = UNSET
    env: list[PipelineEngineEnvItem] | Unset = UNSET
    volumes: list[PipelineEngineVolumesItem] | Unset = UNSET
    pod_template: PipelineEnginePodTemplate | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        launcher: str | Unset = UNSET
        if not isinstance(self.launcher, Unset):
            launcher = self.launcher.value

        kind: str | Unset = UNSET
        if not isinstance(self.kind, Unset):
            kind = self.kind.value

        fallback: str | Unset = UNSET
        if not isinstance(self.fallback, Unset):
            fallback = self.fallback.value

        app: str | Unset = UNSET
        if not isinstance(self.app, Unset):
            app = self.app.value

        driver_memory = self.driver_memory

        executor_memory = self.executor_memory

        cores = self.cores

        conf: dict[str, Any] | Unset = UNSET
        if not isinstance(self.conf, Unset):
            conf = self.conf.to_dict()

        namespace = self.namespace

        image = self.image

        service_account = self.service_account

        driver: dict[str, Any] | Unset = UNSET
        if not isinstance(self.driver, Unset):
            driver = self.driver.to_dict()

        executor: dict[str, Any] | Unset = UNSET
        if not isinstance(self.executor, Unset):
            executor = self.executor.to_dict()

        dynamic_allocation: dict[str, Any] | Unset = UNSET
        if not isinstance(self.dynamic_allocation, Unset):
            dynamic_allocation = self.dynamic_allocation.to_dict()

        env: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.env, Unset):
            env = []
            for env_item_data in self.env:
                env_item = env_item_data.to_dict()
                env.append(env_item)

        volumes: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.volumes, Unset):
            volumes = []
            for volumes_item_data in self.volumes:
                volumes_item = volumes_item_data.to_dict()
                volumes.append(volumes_item)

        pod_template: dict[str, Any] | Unset = UNSET
        if not isinstance(self.pod_template, Unset):
            pod_template = self.pod_template.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if launcher is not UNSET:
            field_dict["launcher"] = launcher
        if kind is not UNSET:
            field_dict["kind"] = kind
        if fallback is not UNSET:
            field_dict["fallback"] = fallback
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
        if namespace is not UNSET:
            field_dict["namespace"] = namespace
        if image is not UNSET:
            field_dict["image"] = image
        if service_account is not UNSET:
            field_dict["service_account"] = service_account
        if driver is not UNSET:
            field_dict["driver"] = driver
        if executor is not UNSET:
            field_dict["executor"] = executor
        if dynamic_allocation is not UNSET:
            field_dict["dynamic_allocation"] = dynamic_allocation
        if env is not UNSET:
            field_dict["env"] = env
        if volumes is not UNSET:
            field_dict["volumes"] = volumes
        if pod_template is not UNSET:
            field_dict["pod_template"] = pod_template

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pipeline_engine_conf import PipelineEngineConf
        from ..models.pipeline_engine_driver import PipelineEngineDriver
        from ..models.pipeline_engine_dynamic_allocation import (
            PipelineEngineDynamicAllocation,
        )
        from ..models.pipeline_engine_env_item import PipelineEngineEnvItem
        from ..models.pipeline_engine_executor import PipelineEngineExecutor
        from ..models.pipeline_engine_pod_template import PipelineEnginePodTemplate
        from ..models.pipeline_engine_volumes_item import PipelineEngineVolumesItem

        d = dict(src_dict)
        _launcher = d.pop("launcher", UNSET)
        launcher: PipelineEngineLauncher | Unset
        if isinstance(_launcher, Unset):
            launcher = UNSET
        else:
            launcher = PipelineEngineLauncher(_launcher)

        _kind = d.pop("kind", UNSET)
        kind: PipelineEngineKind | Unset
        if isinstance(_kind, Unset):
            kind = UNSET
        else:
            kind = PipelineEngineKind(_kind)

        _fallback = d.pop("fallback", UNSET)
        fallback: PipelineEngineFallback | Unset
        if isinstance(_fallback, Unset):
            fallback = UNSET
        else:
            fallback = PipelineEngineFallback(_fallback)

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

        namespace = d.pop("namespace", UNSET)

        image = d.pop("image", UNSET)

        service_account = d.pop("service_account", UNSET)

        _driver = d.pop("driver", UNSET)
        driver: PipelineEngineDriver | Unset
        if isinstance(_driver, Unset):
            driver = UNSET
        else:
            driver = PipelineEngineDriver.from_dict(_driver)

        _executor = d.pop("executor", UNSET)
        executor: PipelineEngineExecutor | Unset
        if isinstance(_executor, Unset):
            executor = UNSET
        else:
            executor = PipelineEngineExecutor.from_dict(_executor)

        _dynamic_allocation = d.pop("dynamic_allocation", UNSET)
        dynamic_allocation: PipelineEngineDynamicAllocation | Unset
        if isinstance(_dynamic_allocation, Unset):
            dynamic_allocation = UNSET
        else:
            dynamic_allocation = PipelineEngineDynamicAllocation.from_dict(
                _dynamic_allocation
            )

        _env = d.pop("env", UNSET)
        env: list[PipelineEngineEnvItem] | Unset = UNSET
        if _env is not UNSET:
            env = []
            for env_item_data in _env:
                env_item = PipelineEngineEnvItem.from_dict(env_item_data)

                env.append(env_item)

        _volumes = d.pop("volumes", UNSET)
        volumes: list[PipelineEngineVolumesItem] | Unset = UNSET
        if _volumes is not UNSET:
            volumes = []
            for volumes_item_data in _volumes:
                volumes_item = PipelineEngineVolumesItem.from_dict(volumes_item_data)

                volumes.append(volumes_item)

        _pod_template = d.pop("pod_template", UNSET)
        pod_template: PipelineEnginePodTemplate | Unset
        if isinstance(_pod_template, Unset):
            pod_template = UNSET
        else:
            pod_template = PipelineEnginePodTemplate.from_dict(_pod_template)

        pipeline_engine = cls(
            launcher=launcher,
            kind=kind,
            fallback=fallback,
            app=app,
            driver_memory=driver_memory,
            executor_memory=executor_memory,
            cores=cores,
            conf=conf,
            namespace=namespace,
            image=image,
            service_account=service_account,
            driver=driver,
            executor=executor,
            dynamic_allocation=dynamic_allocation,
            env=env,
            volumes=volumes,
            pod_template=pod_template,
        )

        return pipeline_engine

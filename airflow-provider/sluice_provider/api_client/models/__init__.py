"""Contains all the data models used in inputs/outputs"""

from .engine_choice import EngineChoice
from .engine_choice_engine import EngineChoiceEngine
from .failure import Failure
from .failure_class import FailureClass
from .failure_stage import FailureStage
from .health import Health
from .health_status import HealthStatus
from .job_notifications import JobNotifications
from .job_page import JobPage
from .job_view import JobView
from .job_view_labels import JobViewLabels
from .job_view_parameters import JobViewParameters
from .job_view_stage import JobViewStage
from .job_view_state import JobViewState
from .landing import Landing
from .landing_page import LandingPage
from .landing_state import LandingState
from .list_jobs_order import ListJobsOrder
from .list_jobs_state import ListJobsState
from .list_landings_state import ListLandingsState
from .load import Load
from .load_dialect import LoadDialect
from .load_mode import LoadMode
from .load_progress import LoadProgress
from .load_progress_phase import LoadProgressPhase
from .notification_delivery import NotificationDelivery
from .notification_delivery_event import NotificationDeliveryEvent
from .notification_list import NotificationList
from .output import Output
from .pipeline import Pipeline
from .pipeline_after import PipelineAfter
from .pipeline_after_on_success import PipelineAfterOnSuccess
from .pipeline_batch import PipelineBatch
from .pipeline_engine import PipelineEngine
from .pipeline_engine_app import PipelineEngineApp
from .pipeline_engine_conf import PipelineEngineConf
from .pipeline_engine_driver import PipelineEngineDriver
from .pipeline_engine_dynamic_allocation import PipelineEngineDynamicAllocation
from .pipeline_engine_env_item import PipelineEngineEnvItem
from .pipeline_engine_env_item_secret import PipelineEngineEnvItemSecret
from .pipeline_engine_executor import PipelineEngineExecutor
from .pipeline_engine_fallback import PipelineEngineFallback
from .pipeline_engine_kind import PipelineEngineKind
from .pipeline_engine_launcher import PipelineEngineLauncher
from .pipeline_engine_pod_template import PipelineEnginePodTemplate
from .pipeline_engine_pod_template_annotations import (
    PipelineEnginePodTemplateAnnotations,
)
from .pipeline_engine_pod_template_labels import PipelineEnginePodTemplateLabels
from .pipeline_engine_pod_template_node_selector import (
    PipelineEnginePodTemplateNodeSelector,
)
from .pipeline_engine_pod_template_tolerations_item import (
    PipelineEnginePodTemplateTolerationsItem,
)
from .pipeline_engine_pod_template_tolerations_item_effect import (
    PipelineEnginePodTemplateTolerationsItemEffect,
)
from .pipeline_engine_pod_template_tolerations_item_operator import (
    PipelineEnginePodTemplateTolerationsItemOperator,
)
from .pipeline_engine_volumes_item import PipelineEngineVolumesItem
from .pipeline_input import PipelineInput
from .pipeline_input_columns import PipelineInputColumns
from .pipeline_input_format import PipelineInputFormat
from .pipeline_list import PipelineList
from .pipeline_notify_item import PipelineNotifyItem
from .pipeline_notify_item_on_item import PipelineNotifyItemOnItem
from .pipeline_outputs import PipelineOutputs
from .pipeline_outputs_lake import PipelineOutputsLake
from .pipeline_outputs_sql_type_0 import PipelineOutputsSqlType0
from .pipeline_outputs_sql_type_0_mode import PipelineOutputsSqlType0Mode
from .pipeline_outputs_sql_type_1_item import PipelineOutputsSqlType1Item
from .pipeline_outputs_sql_type_1_item_mode import PipelineOutputsSqlType1ItemMode
from .pipeline_parameters import PipelineParameters
from .pipeline_parameters_additional_property import (
    PipelineParametersAdditionalProperty,
)
from .pipeline_parameters_additional_property_type import (
    PipelineParametersAdditionalPropertyType,
)
from .pipeline_policy import PipelinePolicy
from .pipeline_policy_backoff import PipelinePolicyBackoff
from .pipeline_policy_timeouts import PipelinePolicyTimeouts
from .pipeline_policy_timeouts_queued_type_0 import PipelinePolicyTimeoutsQueuedType0
from .pipeline_runs import PipelineRuns
from .pipeline_runs_trend import PipelineRunsTrend
from .pipeline_schedule import PipelineSchedule
from .pipeline_schedule_catchup import PipelineScheduleCatchup
from .pipeline_schedule_params import PipelineScheduleParams
from .pipeline_sources_item_type_0 import PipelineSourcesItemType0
from .pipeline_sources_item_type_0_kind import PipelineSourcesItemType0Kind
from .pipeline_sources_item_type_0_ready import PipelineSourcesItemType0Ready
from .pipeline_sources_item_type_0_ready_rule import PipelineSourcesItemType0ReadyRule
from .pipeline_sources_item_type_1 import PipelineSourcesItemType1
from .pipeline_sources_item_type_1_kind import PipelineSourcesItemType1Kind
from .pipeline_sources_item_type_1_ready import PipelineSourcesItemType1Ready
from .pipeline_sources_item_type_1_ready_rule import PipelineSourcesItemType1ReadyRule
from .pipeline_transform_type_0 import PipelineTransformType0
from .pipeline_transform_type_0_derive import PipelineTransformType0Derive
from .pipeline_transform_type_0_metrics_item import PipelineTransformType0MetricsItem
from .pipeline_transform_type_0_metrics_item_fn import (
    PipelineTransformType0MetricsItemFn,
)
from .pipeline_transform_type_1 import PipelineTransformType1
from .problem import Problem
from .problem_errors_item import ProblemErrorsItem
from .queue import Queue
from .queue_counts import QueueCounts
from .queue_list import QueueList
from .readiness import Readiness
from .readiness_checks import ReadinessChecks
from .readiness_status import ReadinessStatus
from .run import Run
from .run_stats import RunStats
from .sluice_event import SluiceEvent
from .sluice_event_failure import SluiceEventFailure
from .sluice_event_failure_class import SluiceEventFailureClass
from .sluice_event_landing import SluiceEventLanding
from .sluice_event_type import SluiceEventType
from .state_change import StateChange
from .state_change_state import StateChangeState
from .submit_request import SubmitRequest
from .submit_request_labels import SubmitRequestLabels
from .submit_request_parameters import SubmitRequestParameters
from .watcher import Watcher
from .watcher_kind import WatcherKind
from .watcher_list import WatcherList

__all__ = (
    "EngineChoice",
    "EngineChoiceEngine",
    "Failure",
    "FailureClass",
    "FailureStage",
    "Health",
    "HealthStatus",
    "JobNotifications",
    "JobPage",
    "JobView",
    "JobViewLabels",
    "JobViewParameters",
    "JobViewStage",
    "JobViewState",
    "Landing",
    "LandingPage",
    "LandingState",
    "ListJobsOrder",
    "ListJobsState",
    "ListLandingsState",
    "Load",
    "LoadDialect",
    "LoadMode",
    "LoadProgress",
    "LoadProgressPhase",
    "NotificationDelivery",
    "NotificationDeliveryEvent",
    "NotificationList",
    "Output",
    "Pipeline",
    "PipelineAfter",
    "PipelineAfterOnSuccess",
    "PipelineBatch",
    "PipelineEngine",
    "PipelineEngineApp",
    "PipelineEngineConf",
    "PipelineEngineDriver",
    "PipelineEngineDynamicAllocation",
    "PipelineEngineEnvItem",
    "PipelineEngineEnvItemSecret",
    "PipelineEngineExecutor",
    "PipelineEngineFallback",
    "PipelineEngineKind",
    "PipelineEngineLauncher",
    "PipelineEnginePodTemplate",
    "PipelineEnginePodTemplateAnnotations",
    "PipelineEnginePodTemplateLabels",
    "PipelineEnginePodTemplateNodeSelector",
    "PipelineEnginePodTemplateTolerationsItem",
    "PipelineEnginePodTemplateTolerationsItemEffect",
    "PipelineEnginePodTemplateTolerationsItemOperator",
    "PipelineEngineVolumesItem",
    "PipelineInput",
    "PipelineInputColumns",
    "PipelineInputFormat",
    "PipelineList",
    "PipelineNotifyItem",
    "PipelineNotifyItemOnItem",
    "PipelineOutputs",
    "PipelineOutputsLake",
    "PipelineOutputsSqlType0",
    "PipelineOutputsSqlType0Mode",
    "PipelineOutputsSqlType1Item",
    "PipelineOutputsSqlType1ItemMode",
    "PipelineParameters",
    "PipelineParametersAdditionalProperty",
    "PipelineParametersAdditionalPropertyType",
    "PipelinePolicy",
    "PipelinePolicyBackoff",
    "PipelinePolicyTimeouts",
    "PipelinePolicyTimeoutsQueuedType0",
    "PipelineRuns",
    "PipelineRunsTrend",
    "PipelineSchedule",
    "PipelineScheduleCatchup",
    "PipelineScheduleParams",
    "PipelineSourcesItemType0",
    "PipelineSourcesItemType0Kind",
    "PipelineSourcesItemType0Ready",
    "PipelineSourcesItemType0ReadyRule",
    "PipelineSourcesItemType1",
    "PipelineSourcesItemType1Kind",
    "PipelineSourcesItemType1Ready",
    "PipelineSourcesItemType1ReadyRule",
    "PipelineTransformType0",
    "PipelineTransformType0Derive",
    "PipelineTransformType0MetricsItem",
    "PipelineTransformType0MetricsItemFn",
    "PipelineTransformType1",
    "Problem",
    "ProblemErrorsItem",
    "Queue",
    "QueueCounts",
    "QueueList",
    "Readiness",
    "ReadinessChecks",
    "ReadinessStatus",
    "Run",
    "RunStats",
    "SluiceEvent",
    "SluiceEventFailure",
    "SluiceEventFailureClass",
    "SluiceEventLanding",
    "SluiceEventType",
    "StateChange",
    "StateChangeState",
    "SubmitRequest",
    "SubmitRequestLabels",
    "SubmitRequestParameters",
    "Watcher",
    "WatcherKind",
    "WatcherList",
)

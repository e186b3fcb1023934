"""Extra links on a Sluice task: the Sluice job, and the Spark UI of its run.

Airflow 3 works them out on the worker when a task instance stops running (also when it
defers) and keeps the result for the UI. There the operator is the one that just ran, so the
links read its attributes; anywhere else they read the XComs the operator pushes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from airflow.sdk import BaseOperatorLink
from airflow.sdk.execution_time.xcom import XCom

from sluice_provider.hooks.sluice import SluiceHook

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

#: XCom keys the operator pushes and the links read.
XCOM_JOB_ID = "job_id"
XCOM_SPARK_UI_URL = "spark_ui_url"


def job_page_url(base_url: str, job_id: str) -> str:
    """Where a person looks at one job: its page on Sluice's dashboard (sign-in with an API key)."""
    return f"{base_url.rstrip('/')}/ui/jobs/{quote(job_id, safe='')}"


class SluiceJobLink(BaseOperatorLink):
    """Opens the task's Sluice job (as soon as it is submitted, also while the task is deferred)."""

    name = "Sluice job"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        job_id = _value(operator, "job_id", ti_key, XCOM_JOB_ID)
        if not job_id:
            return ""
        conn_id = getattr(operator, "sluice_conn_id", SluiceHook.default_conn_name)
        return job_page_url(SluiceHook(sluice_conn_id=conn_id).base_url, str(job_id))


class SparkUiLink(BaseOperatorLink):
    """Opens the Spark UI of the job's run, when the launcher reported one."""

    name = "Spark UI"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        return str(_value(operator, "spark_ui_url", ti_key, XCOM_SPARK_UI_URL) or "")


def _value(operator: BaseOperator, attribute: str, ti_key: TaskInstanceKey, xcom_key: str) -> object:
    # The attribute exists only on the operator that ran; asking XCom for a key that was
    # never pushed (the submit failed) would log an error in the task log.
    if hasattr(operator, attribute):
        return getattr(operator, attribute)
    return XCom.get_value(ti_key=ti_key, key=xcom_key)

"""The job parameters SluiceSubmitJobOperator sends, in a real Airflow against a real Sluice
(stand-in runs, whose `rows` parameter is the number of rows they write).

Mapped tasks, `.expand(params=[...])` over a key the DAG has a Param for, and
`.expand(parameters=[...])`: each job gets its own value.

The DAGs are in dags/params_operator.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_tasks import load_dag, run_dag
from sluice_harness import SluiceJobs

DAGS = "params_operator.py"


@pytest.fixture(scope="module")
def jobs(sluice) -> Iterator[SluiceJobs]:
    client = SluiceJobs(sluice.url, sluice.api_key)
    yield client
    client.close()


@pytest.mark.timeout(150)
def test_each_mapped_task_sends_its_own_parameters(sluice, jobs):
    run = run_dag(load_dag(DAGS, "params_mapped"))

    assert run.state == "success"
    for task_id, case, rows in (("by_params", "mapped-params", [2, 3]), ("by_parameters", "mapped-parameters", [4, 5])):
        sent = sorted(job["parameters"]["rows"] for job in jobs.labelled("stand-in", case))
        assert sent == rows, task_id
        assert [run.xcom(task_id, "rows_out", map_index) for map_index in (0, 1)] == rows

"""The example DAG a DAG author reads first: it parses cleanly and is wired as it says."""

from __future__ import annotations

import warnings
from pathlib import Path

from airflow.dag_processing.dagbag import DagBag

from sluice_provider.assets import lake_table_asset
from sluice_provider.operators.job import SluiceSubmitJobOperator

EXAMPLE = Path(__file__).resolve().parents[2] / "example_dags" / "example_sluice_job.py"


def test_the_example_dag_parses_without_errors_or_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bag = DagBag(dag_folder=str(EXAMPLE))
    assert bag.import_errors == {}
    assert bag.captured_warnings == {}
    dag = bag.dags["example_sluice_job"]
    submit = dag.task_dict["meter_by_status"]
    assert isinstance(submit, SluiceSubmitJobOperator)
    assert (submit.pipeline, submit.parameters, submit.deferrable) == ("meter-by-status", {"site": "site-007"}, True)
    assert submit.outlets == [lake_table_asset("meter_by_status")]
    assert dag.task_dict["report"].upstream_task_ids == {"meter_by_status"}

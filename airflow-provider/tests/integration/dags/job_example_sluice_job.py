"""The provider's example DAG (airflow-provider/example_dags/example_sluice_job.py), made visible
in the tests' DAGs folder.

dag.test() only runs a DAG that Airflow has serialized from a file of its DAGs folder (the
"dags-folder" bundle); the example lives beside the package, where readers look for it. Its
source is compiled here under this file's name, so that the DAG's file lies inside the folder.
"""

from __future__ import annotations

from pathlib import Path

_EXAMPLE = Path(__file__).resolve().parents[3] / "example_dags" / "example_sluice_job.py"
exec(compile(_EXAMPLE.read_text(), __file__, "exec"))

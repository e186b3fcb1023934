"""What every provider test shares: an Airflow home of its own, set before Airflow is imported.

Unit tests import Airflow too (the operators and triggers are Airflow classes), so the home is a
temporary folder for the whole session, never ~/airflow. The integration tests add a metadata
database in it (tests/integration/conftest.py).
"""

import os
import shutil
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parents[2]
PROVIDER = REPO / "airflow-provider"

AIRFLOW_HOME = tempfile.mkdtemp(prefix="sluice-airflow-home-")
os.environ["AIRFLOW_HOME"] = AIRFLOW_HOME
# One Fernet key for the test process and the daemons it starts (they inherit the environment),
# so that Variables and connections one writes, the others read.
os.environ.setdefault("AIRFLOW__CORE__FERNET_KEY", Fernet.generate_key().decode())
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(PROVIDER / "tests" / "integration" / "dags")
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{AIRFLOW_HOME}/airflow.db"
# The tests read task logs from here when a task fails.
os.environ["AIRFLOW__LOGGING__BASE_LOG_FOLDER"] = f"{AIRFLOW_HOME}/logs"


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(AIRFLOW_HOME, ignore_errors=True)

"""DAGs of test_sensor.py: SluiceJobSensor on one job (its id in the run's conf) and on a
pipeline's next succeeded job since a time (also in the run's conf)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import DAG
from sluice_provider.sensors.job import SluiceJobSensor

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
# A retried sensor shows up as try 3 within seconds rather than in 5 minutes.
RETRIES = {"retries": 2, "retry_delay": timedelta(seconds=1)}

with DAG("faults_sensor_job", schedule=None, start_date=START, catchup=False, default_args=RETRIES):
    SluiceJobSensor(task_id="wait", job_id="{{ dag_run.conf['job_id'] }}")

with DAG("faults_sensor_pipeline", schedule=None, start_date=START, catchup=False, default_args=RETRIES):
    SluiceJobSensor(
        task_id="wait",
        pipeline="stand-in",
        since="{{ dag_run.conf['since'] }}",
        # The default (30 s) would only slow the test down: how often it looks is not under test.
        poke_interval=1,
        timeout=120,
    )

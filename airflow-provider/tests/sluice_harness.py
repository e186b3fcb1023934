"""A real Sluice for the provider's integration tests: test/harness/sluice-stack.ts in a child,
and how tests read its jobs (SluiceJobs) and wait for things (wait_for).

The child starts redis-server and `sluice serve` (the local launcher; the stand-in app or real
Spark) on free ports in temporary folders and prints one JSON line of what a client needs.
`stop()` makes Sluice unreachable (its detached runs go on), `start()` brings it back on the
same port; `close()` ends it all and removes its folders.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")

NODE = os.environ.get("SLUICE_TEST_NODE", "node")


def wait_for(
    what: str, probe: Callable[[], T | None], timeout: float, interval: float = 0.25, logs: Callable[[], str] | None = None
) -> T:
    """Polls `probe` until it returns something other than None or False; fails naming `what`
    (and with `logs()`, e.g. a daemon's log tail, when given)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}" + (f"\n{logs()}" if logs else ""))
        time.sleep(interval)


class SluiceStack:
    def __init__(self, spark: str = "stand-in", readings: int = 20_000) -> None:
        self.process = subprocess.Popen(
            [NODE, "--import", "tsx", "test/harness/sluice-stack.ts", "--spark", spark, "--readings", str(readings)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # Sluice's own log (warnings and errors) goes where pytest shows it for a failed test.
            stderr=sys.stderr,
            text=True,
        )
        first = self.process.stdout.readline()
        if not first:
            raise RuntimeError(f"test/harness/sluice-stack.ts exited with code {self.process.wait()} before Sluice answered")
        info: dict[str, Any] = json.loads(first)
        self.url: str = info["url"]
        self.api_key: str = info["apiKey"]
        self.landing: str = info["landing"]
        self.lake_dir: str = info["lakeDir"]
        self.runs_dir: str = info["runsDir"]

    def _command(self, command: str, answer: str) -> None:
        self.process.stdin.write(f"{command}\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline().strip()
        if line != answer:
            raise RuntimeError(f"sluice-stack answered {line!r} to {command!r}")

    def stop(self) -> None:
        """Stops `sluice serve`: the API refuses connections until start()."""
        self._command("stop", "stopped")

    def start(self) -> None:
        """Starts `sluice serve` again on the same port; returns once it answers."""
        self._command("start", "started")

    def connection_uri_env(self, conn_id: str = "sluice_default", api_key: str | None = None) -> dict[str, str]:
        """The environment variable that defines an Airflow connection of type sluice to this Sluice."""
        conn = {"conn_type": "sluice", "host": self.url, "password": api_key if api_key is not None else self.api_key}
        return {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(conn)}

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


ENDED = frozenset({"succeeded", "failed", "cancelled"})


class SluiceJobs:
    """Sluice's jobs as a test reads and submits them, over plain HTTP (never through the provider
    under test)."""

    def __init__(self, url: str, api_key: str) -> None:
        self.client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {api_key}"}, timeout=10)

    def submit(
        self, pipeline: str, parameters: dict[str, Any], inputs: list[str], labels: dict[str, str] | None = None
    ) -> dict[str, Any]:
        body = {"pipeline": pipeline, "parameters": parameters, "inputs": inputs, "labels": labels or {}}
        response = self.client.post("/v1/jobs", json=body)
        response.raise_for_status()
        return response.json()

    def get(self, job_id: str) -> dict[str, Any]:
        response = self.client.get(f"/v1/jobs/{job_id}")
        response.raise_for_status()
        return response.json()

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Cancels the job, as on-call does from the dashboard."""
        return self.client.post(f"/v1/jobs/{job_id}/cancel").raise_for_status().json()

    def of_pipeline(self, pipeline: str) -> list[dict[str, Any]]:
        jobs: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params = {"pipeline": pipeline, "limit": 100, **({"cursor": cursor} if cursor else {})}
            page = self.client.get("/v1/jobs", params=params).raise_for_status().json()
            jobs += page["items"]
            cursor = page.get("nextCursor")
            if not cursor:
                return jobs

    def labelled(self, pipeline: str, case: str) -> list[dict[str, Any]]:
        """The pipeline's jobs whose label `case` is `case`."""
        return [job for job in self.of_pipeline(pipeline) if (job.get("labels") or {}).get("case") == case]

    def wait(self, job_id: str, states: frozenset[str] | set[str], timeout: float) -> dict[str, Any]:
        """The job once it is in one of `states`; fails early if it ends in another."""

        def probe() -> dict[str, Any] | None:
            job = self.get(job_id)
            if job["state"] in states:
                return job
            if job["state"] in ENDED:
                raise AssertionError(f"job {job_id} ended {job['state']}, not {sorted(states)}: {job.get('failure')}")
            return None

        return wait_for(f"Sluice job {job_id} to be {'/'.join(sorted(states))}", probe, timeout)

    def wait_ended(self, job_ids: list[str], timeout: float = 60) -> dict[str, dict[str, Any]]:
        """The jobs once every one of them has ended, whatever the way."""

        def ended() -> dict[str, dict[str, Any]] | None:
            jobs = {job_id: self.get(job_id) for job_id in job_ids}
            return jobs if all(job["state"] in ENDED for job in jobs.values()) else None

        return wait_for(f"Sluice jobs {job_ids} to end", ended, timeout)

    def close(self) -> None:
        self.client.close()

"""A real Sluice for the provider's integration tests: test/harness/sluice-stack.ts in a child.

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
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
NODE = os.environ.get("SLUICE_TEST_NODE", "node")


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

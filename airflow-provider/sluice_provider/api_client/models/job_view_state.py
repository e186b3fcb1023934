from enum import StrEnum


class JobViewState(StrEnum):
    CANCELLED = "cancelled"
    FAILED = "failed"
    LAUNCHING = "launching"
    LOADING = "loading"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"

    def __str__(self) -> str:
        return str(self.value)

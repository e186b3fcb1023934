from enum import StrEnum


class SluiceEventType(StrEnum):
    JOB_CANCELLED = "job.cancelled"
    JOB_FAILED = "job.failed"
    JOB_LAUNCHING = "job.launching"
    JOB_LOADING = "job.loading"
    JOB_QUEUED = "job.queued"
    JOB_RUNNING = "job.running"
    JOB_SUCCEEDED = "job.succeeded"
    LANDING_BATCHED = "landing.batched"
    LANDING_DONE = "landing.done"
    LANDING_QUARANTINED = "landing.quarantined"
    LANDING_READY = "landing.ready"
    LANDING_SEEN = "landing.seen"

    def __str__(self) -> str:
        return str(self.value)

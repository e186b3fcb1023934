from enum import StrEnum


class NotificationDeliveryEvent(StrEnum):
    DEADLINE_MISSED = "deadline_missed"
    JOB_FAILED = "job.failed"
    JOB_SUCCEEDED = "job.succeeded"
    LANDING_QUARANTINED = "landing.quarantined"

    def __str__(self) -> str:
        return str(self.value)

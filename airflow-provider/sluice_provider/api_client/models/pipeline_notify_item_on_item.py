from enum import StrEnum


class PipelineNotifyItemOnItem(StrEnum):
    DEADLINE_MISSED = "deadline_missed"
    FAILED = "failed"
    QUARANTINED = "quarantined"
    SUCCEEDED = "succeeded"

    def __str__(self) -> str:
        return str(self.value)

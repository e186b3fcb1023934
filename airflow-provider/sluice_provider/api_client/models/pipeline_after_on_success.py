from enum import StrEnum


class PipelineAfterOnSuccess(StrEnum):
    ARCHIVE = "archive"
    DELETE = "delete"
    KEEP = "keep"

    def __str__(self) -> str:
        return str(self.value)

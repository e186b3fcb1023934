from enum import StrEnum


class FailureClass(StrEnum):
    CANCELLED = "cancelled"
    DATA = "data"
    PLATFORM = "platform"
    TIMEOUT = "timeout"
    USER = "user"

    def __str__(self) -> str:
        return str(self.value)

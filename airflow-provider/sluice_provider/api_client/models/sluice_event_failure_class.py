from enum import StrEnum


class SluiceEventFailureClass(StrEnum):
    CANCELLED = "cancelled"
    DATA = "data"
    PLATFORM = "platform"
    TIMEOUT = "timeout"
    USER = "user"

    def __str__(self) -> str:
        return str(self.value)

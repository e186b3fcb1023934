from enum import StrEnum


class JobViewStage(StrEnum):
    AWAIT = "await"
    DONE = "done"
    LAUNCH = "launch"
    LOAD = "load"
    QUEUE = "queue"

    def __str__(self) -> str:
        return str(self.value)

from enum import StrEnum


class LandingState(StrEnum):
    BATCHED = "batched"
    DONE = "done"
    QUARANTINED = "quarantined"
    READY = "ready"
    SEEN = "seen"

    def __str__(self) -> str:
        return str(self.value)

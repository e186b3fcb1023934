from enum import StrEnum


class LoadProgressPhase(StrEnum):
    APPLYING = "applying"
    COMMITTED = "committed"
    STAGED = "staged"
    STAGING = "staging"

    def __str__(self) -> str:
        return str(self.value)

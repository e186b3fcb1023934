from enum import StrEnum


class EngineChoiceEngine(StrEnum):
    EMBEDDED = "embedded"
    SPARK = "spark"

    def __str__(self) -> str:
        return str(self.value)

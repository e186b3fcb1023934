from enum import StrEnum


class PipelineEngineKind(StrEnum):
    AUTO = "auto"
    EMBEDDED = "embedded"
    SPARK = "spark"

    def __str__(self) -> str:
        return str(self.value)

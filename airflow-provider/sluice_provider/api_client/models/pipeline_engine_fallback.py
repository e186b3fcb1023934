from enum import StrEnum


class PipelineEngineFallback(StrEnum):
    NONE = "none"
    SPARK = "spark"

    def __str__(self) -> str:
        return str(self.value)

from enum import StrEnum


class PipelineParametersAdditionalPropertyType(StrEnum):
    BOOLEAN = "boolean"
    NUMBER = "number"
    STRING = "string"

    def __str__(self) -> str:
        return str(self.value)

from enum import StrEnum


class PipelineEngineLauncher(StrEnum):
    K8S_NATIVE = "k8s-native"
    K8S_OPERATOR = "k8s-operator"
    LOCAL = "local"

    def __str__(self) -> str:
        return str(self.value)

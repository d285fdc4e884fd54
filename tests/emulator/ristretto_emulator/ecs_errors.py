"""ECS error codes the emulator raises (serialised by moto like AWS does)."""
from moto.ecs.exceptions import ECSException


class InvalidParameter(ECSException):
    code = "InvalidParameterException"

    def __init__(self, message: str):
        super().__init__(message)


class ClientError(ECSException):
    code = "ClientException"

    def __init__(self, message: str):
        super().__init__(message)


class ServiceNotActive(ECSException):
    code = "ServiceNotActiveException"

    def __init__(self) -> None:
        super().__init__("Service was not ACTIVE.")


class ServiceDeploymentNotFound(ECSException):
    code = "ServiceDeploymentNotFoundException"

    def __init__(self, arn: str):
        super().__init__(f"The service deployment {arn} does not exist.")


class Conflict(ECSException):
    code = "ConflictException"

    def __init__(self, message: str):
        super().__init__(message)

"""SSM StartSession and TerminateSession, which moto does not implement, for ECS Exec targets
(`ecs:CLUSTER_TASKID_RUNTIMEID`, as the AWS CLI builds them for `ecs execute-command` and port
forwarding). Shapes from botocore's ssm service model (2014-11-06): StartSessionRequest
{Target (required, 1-400), DocumentName, Reason, Parameters: map of lists}, StartSessionResponse
{SessionId (1-96), TokenValue (max 300), StreamUrl}; errors InvalidDocument, TargetNotConnected.

No data channel exists behind StreamUrl: a test stands in for session-manager-plugin. A target
that is not a running task of the account and region, or names no container's runtime id of it,
is TargetNotConnected, as AWS answers for a node Session Manager cannot reach ("<target> is not
connected."). DocumentName must be one of the Session Manager documents AWS owns for these
sessions; another is InvalidDocument.
"""
from __future__ import annotations

import json
import secrets

from moto.core.exceptions import ServiceException
from moto.ssm.responses import SimpleSystemManagerResponse

# The AWS-owned session documents (Session Manager user guide, "Session document schema"), and
# the parameters each one requires.
SESSION_DOCUMENTS = {
    "SSM-SessionManagerRunShell": (),
    "AWS-StartInteractiveCommand": ("command",),
    "AWS-StartPortForwardingSession": ("portNumber",),
    "AWS-StartPortForwardingSessionToRemoteHost": ("host", "portNumber"),
    "AWS-StartSSHSession": ("portNumber",),
}


class TargetNotConnected(ServiceException):
    def __init__(self, target: str) -> None:
        super().__init__("TargetNotConnected", f"{target} is not connected.")


class InvalidDocument(ServiceException):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidDocument", message)


def _task_of(account: str, region: str, target: str):
    """The running task (and whether the runtime id names one of its containers) of an ECS
    target, or None."""
    from moto.ecs.models import ecs_backends

    if not target.startswith("ecs:"):
        return None
    parts = target[len("ecs:"):].split("_")
    if len(parts) < 2:
        return None
    cluster, task_id = parts[0], parts[1]
    runtime = "_".join(parts[2:]) or None
    backend = ecs_backends[account][region]
    for task in backend.tasks.get(cluster, {}).values():
        if task.task_arn.rsplit("/", 1)[-1] != task_id or task.status != "RUNNING":
            continue
        runtimes = {getattr(c, "runtime_id", None) for c in task.containers}
        if runtime is None or runtime in runtimes:
            return task
    return None


def start_session(self: SimpleSystemManagerResponse) -> str:
    target = self._get_param("Target") or ""
    document = self._get_param("DocumentName") or "SSM-SessionManagerRunShell"
    parameters = self._get_param("Parameters") or {}
    if document not in SESSION_DOCUMENTS:
        raise InvalidDocument(f"Document {document} does not exist or you do not have access to it.")
    missing = [p for p in SESSION_DOCUMENTS[document] if not parameters.get(p)]
    if missing:
        raise InvalidDocument(f"Document {document} requires parameters {', '.join(missing)}.")
    if _task_of(self.current_account, self.region, target) is None:
        raise TargetNotConnected(target)
    # SessionId: the caller's name and a hex suffix (e.g. `botocore-session-0a1b2c3d4e5f67890`).
    session_id = f"emulator-{secrets.token_hex(9)[:17]}"
    return json.dumps(
        {
            "SessionId": session_id,
            "TokenValue": secrets.token_urlsafe(48),
            "StreamUrl": f"wss://ssmmessages.{self.region}.amazonaws.com/v1/data-channel/{session_id}?role=publish_subscribe",
        }
    )


def terminate_session(self: SimpleSystemManagerResponse) -> str:
    return json.dumps({"SessionId": self._get_param("SessionId")})


def install() -> None:
    SimpleSystemManagerResponse.start_session = start_session
    SimpleSystemManagerResponse.terminate_session = terminate_session

"""ECS tasks: one-off task outcomes (exit codes, stop codes, awslogs output),
service tasks started/stopped by rollouts, and fixes to moto's RunTask,
DescribeTasks, ListTasks and StopTask."""
from __future__ import annotations

import copy
import math
import time
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.models import Container, EC2ContainerServiceBackend, Task
from moto.ecs.responses import DESCRIBE_TASKS_TAGS, EC2ContainerServiceResponse
from moto.moto_api._internal.managed_state_model import ManagedState

from . import state
from .ecs_errors import InvalidParameter
from .util import now, paginate, task_id

DEFAULT_RUNNING_POLLS = 2


class TaskRuntime:
    """How a task created by RunTask behaves on DescribeTasks polls."""

    def __init__(self, kind: str, plan: dict[str, Any] | None = None):
        plan = plan or {}
        self.kind = kind  # "run" | "service"
        self.planned = bool(plan)
        self.exit_code = int(plan.get("exitCode", 0))
        self.reason = plan.get("reason")
        self.running_polls = int(plan.get("running_polls", DEFAULT_RUNNING_POLLS if plan else 1))
        self.fail_to_start = bool(plan.get("failToStart", False))
        self.container = plan.get("container")
        self.logs: list[str] = [str(x) for x in plan.get("logs") or []]
        self.logs_written = 0
        self.polls = 0


# ---------------------------------------------------------------------------
# task model helpers
# ---------------------------------------------------------------------------
_orig_task_init = Task.__init__


def _task_init(self: Task, *args: Any, **kwargs: Any) -> None:
    net = kwargs.get("networking_configuration")
    if net and "securityGroups" not in (net.get("awsvpcConfiguration") or {"securityGroups": []}):
        net = copy.deepcopy(net)  # moto crashes (KeyError) without securityGroups
        net["awsvpcConfiguration"]["securityGroups"] = []
        kwargs["networking_configuration"] = net
    _orig_task_init(self, *args, **kwargs)
    self.id = task_id()  # AWS task ids are 32 hex characters
    td = kwargs.get("task_definition") if "task_definition" in kwargs else args[1]
    self.containers = [_container(td, c, self) for c in td.container_definitions]
    self._emu = None
    self.created_at = now()
    self.cpu = td.cpu
    self.memory = td.memory
    self.availability_zone = f"{self.region_name}a"
    self.version = 1
    lt = self.launch_type or ("FARGATE" if (self.capacity_provider_name or "").startswith("FARGATE") else "")
    # A task started without launchType (a capacity provider strategy, the cluster's default)
    # has moto's launch_type "", which is not a LaunchType in botocore's ECS model: leave the
    # member out rather than send an invalid value.
    if not self.launch_type:
        self.launch_type = None
    if lt == "FARGATE":
        self.platform_version = self.platform_version if self.platform_version not in (None, "LATEST") else "1.4.0"
        self.platform_family = "Linux"
    self.enable_execute_command = False
    self.health_status = "UNKNOWN"
    for c in self.containers:
        c.task_arn = self.task_arn


def _container(td: Any, cdef: dict[str, Any], task: Task) -> Container:
    c = Container(td)
    c.name = cdef.get("name")
    c.image = cdef.get("image")
    c.cpu = str(cdef.get("cpu", 0))
    c.memory = str(cdef["memory"]) if cdef.get("memory") is not None else None
    c.memoryReservation = str(cdef["memoryReservation"]) if cdef.get("memoryReservation") is not None else None
    c.environment = cdef.get("environment")
    c.command = cdef.get("command")
    c.exitCode = None
    c.health_status = "UNKNOWN"
    c.essential = cdef.get("essential", True)
    c._def = cdef
    return c


def _calc_resources(task_definition: Any) -> dict[str, Any]:
    """moto adds None for containers without container-level memory (Fargate TDs)."""
    req: dict[str, Any] = {"CPU": 0, "MEMORY": 0, "PORTS": [], "PORTS_UDP": []}
    for cd in task_definition.container_definitions:
        req["CPU"] += cd.get("cpu", cd.get("Cpu", 0)) or 0
        mem = cd.get("memory", cd.get("Memory")) or cd.get("memoryReservation", cd.get("MemoryReservation")) or 0
        req["MEMORY"] += mem
        for pm in cd.get("portMappings", cd.get("PortMappings", [])) or []:
            hp = pm.get("hostPort", pm.get("HostPort"))
            if hp is not None:
                req["PORTS"].append(hp)
    if not req["MEMORY"] and task_definition.memory:
        req["MEMORY"] = int(task_definition.memory)
    return req


def _mark_running(task: Task) -> None:
    if task.status == "RUNNING" and getattr(task, "started_at", None):
        return
    t = now()
    task.status = "RUNNING"
    task.pull_started_at = getattr(task, "pull_started_at", None) or t
    task.pull_stopped_at = getattr(task, "pull_stopped_at", None) or t
    task.started_at = t
    task.connectivity = "CONNECTED"
    task.connectivity_at = t
    for c in task.containers:
        c.last_status = "RUNNING"
        c.runtime_id = f"{task.id}-{abs(hash(c.name)) % 10**10}"


def stop_now(task: Task, exit_code: int | None, stop_code: str, reason: str) -> None:
    """Moves a task to STOPPED with the given essential-container exit code."""
    if task.status == "STOPPED":
        return
    rt = task._emu
    t = now()
    task.status = "STOPPED"
    task.desired_status = "STOPPED"
    task.stop_code = stop_code
    task.stopped_reason = reason
    task.stopping_at = task.execution_stopped_at = task.stopped_at = t
    task.connectivity = "DISCONNECTED" if getattr(task, "connectivity", None) else None
    target = _target_container(task)
    for c in task.containers:
        c.last_status = "STOPPED"
        if stop_code == "TaskFailedToStart":
            c.exitCode = None
            c.reason = reason
        elif c is target:
            c.exitCode = exit_code
        else:
            c.exitCode = 0
    if rt is not None:
        _write_logs(task, final=True)


def _target_container(task: Task) -> Container | None:
    rt = task._emu
    if rt is not None and rt.container:
        for c in task.containers:
            if c.name == rt.container:
                return c
    for c in task.containers:
        if c.essential:
            return c
    return task.containers[0] if task.containers else None


def _advance(task: Task) -> None:
    rt = task._emu
    if rt is None:
        task.advance()  # tasks moto made outside RunTask keep moto's behaviour
        return
    if rt.kind == "service" or task.status == "STOPPED":
        return
    rt.polls += 1
    if rt.polls <= rt.running_polls:
        if rt.fail_to_start:
            task.status = "PENDING"
            for c in task.containers:
                c.last_status = "PENDING"
        else:
            _mark_running(task)
            _write_logs(task, final=False)
        return
    if rt.fail_to_start:
        stop_now(task, None, "TaskFailedToStart", rt.reason or "Task failed to start")
    else:
        _mark_running(task)
        stop_now(task, rt.exit_code, "EssentialContainerExited", rt.reason or "Essential container in task exited")


# ---------------------------------------------------------------------------
# awslogs output
# ---------------------------------------------------------------------------
def _write_logs(task: Task, final: bool) -> None:
    rt = task._emu
    if rt is None or not rt.logs or rt.logs_written >= len(rt.logs) or rt.fail_to_start:
        return
    target = _target_container(task)
    if target is None:
        return
    opts = ((target._def.get("logConfiguration") or {}).get("options") or {}) if target._def.get(
        "logConfiguration", {}
    ).get("logDriver") == "awslogs" else {}
    group, prefix = opts.get("awslogs-group"), opts.get("awslogs-stream-prefix")
    if not group or not prefix:
        rt.logs_written = len(rt.logs)
        return
    if final:
        upto = len(rt.logs)
    else:
        chunk = math.ceil(len(rt.logs) / (rt.running_polls + 1))
        upto = min(len(rt.logs), rt.logs_written + chunk)
    lines = rt.logs[rt.logs_written : upto]
    if not lines:
        return
    from moto.logs.models import logs_backends

    logs = logs_backends[task._account_id][opts.get("awslogs-region") or task.region_name]
    stream = f"{prefix}/{target.name}/{task.id}"
    if group not in logs.groups:
        logs.create_log_group(group, tags={})
    if stream not in logs.groups[group].streams:
        logs.create_log_stream(group, stream)
    base = int(time.time() * 1000)
    logs.put_log_events(group, stream, [{"timestamp": base + i, "message": m} for i, m in enumerate(lines)])
    rt.logs_written = upto


# ---------------------------------------------------------------------------
# service tasks
# ---------------------------------------------------------------------------
def start_service_tasks(rt: Any, dep: Any, n: int) -> list[str]:
    backend = rt.backend
    ids: list[str] = []
    try:
        cluster = backend.clusters[rt.cluster_name]
        td = backend.describe_task_definition(dep.revision.task_definition)
    except Exception:  # noqa: BLE001
        return [task_id() for _ in range(n)]
    svc = rt.service
    net = None
    if td.network_mode == "awsvpc" and svc.network_configuration:
        net = copy.deepcopy(svc.network_configuration)
        net.setdefault("awsvpcConfiguration", {}).setdefault("securityGroups", [])
    for _ in range(n):
        try:
            task = Task(
                cluster=cluster,
                task_definition=td,
                container_instance_arn=None,
                resource_requirements=None,
                backend=backend,
                group=f"service:{rt.name}",
                launch_type=svc.launch_type or "",
                started_by=dep.id,
                networking_configuration=net or None,
                platform_version=svc.platform_version,
            )
        except Exception:  # noqa: BLE001 - e.g. awsvpc without a network configuration
            ids.append(task_id())
            continue
        task._emu = TaskRuntime("service")
        _mark_running(task)
        backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
        dep.tasks.append(task.task_arn)
        ids.append(task.id)
    return ids


def stop_service_tasks(rt: Any, dep: Any, n: int) -> list[str]:
    backend = rt.backend
    ids: list[str] = []
    tasks = backend.tasks.get(rt.cluster_name, {})
    for _ in range(n):
        if not dep.tasks:
            ids.append(task_id())
            continue
        arn = dep.tasks.pop(0)
        task = tasks.get(arn)
        if task is None:
            ids.append(arn.rsplit("/", 1)[-1])
            continue
        stop_now(task, 143, "ServiceSchedulerInitiated", f"Scaling activity initiated by (deployment {dep.id})")
        ids.append(task.id)
    return ids


# ---------------------------------------------------------------------------
# backend / response patches
# ---------------------------------------------------------------------------
_orig_run_task = EC2ContainerServiceBackend.run_task


def run_task(self: EC2ContainerServiceBackend, cluster_str: str, task_definition_str: str, count: int, *args: Any, **kwargs: Any) -> list[Task]:
    if not task_definition_str:
        raise InvalidParameter("TaskDefinition must be specified.")
    if count is not None and not 1 <= count <= 10:
        raise InvalidParameter("count must be between 1 and 10.")
    try:
        tasks = _orig_run_task(self, cluster_str, task_definition_str, count, *args, **kwargs)
    except Exception as exc:  # noqa: BLE001
        if str(exc).startswith("No instances found"):
            raise InvalidParameter("No Container Instances were found in your cluster.")
        raise
    if not tasks:
        return tasks
    family = self.describe_task_definition(task_definition_str).family
    plan = state.take_task_plan(self.account_id, self.region_name, family)
    for task in tasks:
        task._emu = TaskRuntime("run", plan)
        task.status = "PROVISIONING"

        for c in task.containers:
            c.last_status = "PENDING"
    return tasks


def _matches(task: Task, wanted: str) -> bool:
    return wanted == task.task_arn or wanted == task.id or wanted.endswith("/" + task.id)


def describe_tasks(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    cluster = backend._get_cluster(self._get_param("cluster", "default"))
    wanted = self._get_param("tasks", []) or []
    if not wanted:
        raise InvalidParameter("Tasks cannot be empty.")
    if len(wanted) > 100:
        raise InvalidParameter("Tasks cannot have more than 100 elements.")
    found, failures, seen = [], [], set()
    cluster_tasks = backend.tasks.get(cluster.name, {})
    for w in wanted:
        task = next((t for t in cluster_tasks.values() if _matches(t, w)), None)
        if task is None:
            arn = w if w.startswith("arn:") else f"arn:aws:ecs:{backend.region_name}:{backend.account_id}:task/{cluster.name}/{w}"
            failures.append({"arn": arn, "reason": "MISSING"})
            continue
        if id(task) in seen:
            continue
        seen.add(id(task))
        _advance(task)
        found.append(task)
    if "TAGS" in (self._get_param("include", []) or []):
        self._include_in_response(DESCRIBE_TASKS_TAGS)
    else:
        self._exclude_from_response(DESCRIBE_TASKS_TAGS)
    return ActionResult({"tasks": found, "failures": failures})


def list_tasks(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    cluster = backend._get_cluster(self._get_param("cluster", "default"))
    family = self._get_param("family")
    started_by = self._get_param("startedBy")
    service_name = self._get_param("serviceName")
    container_instance = self._get_param("containerInstance")
    desired = self._get_param("desiredStatus") or "RUNNING"
    if service_name:
        svc = backend.services.get(f"{cluster.name}:{service_name.split('/')[-1]}")
        if svc is None:
            from moto.ecs.exceptions import ServiceNotFoundException

            raise ServiceNotFoundException()
    out = []
    for task in backend.tasks.get(cluster.name, {}).values():
        if family and task.task_definition_arn.split("/")[-1].rsplit(":", 1)[0] != family:
            continue
        if started_by and task.started_by != started_by:
            continue
        if service_name and task.group != f"service:{service_name.split('/')[-1]}":
            continue
        if container_instance and container_instance not in (task.container_instance_arn or ""):
            continue
        if task.desired_status != desired:
            continue
        out.append(task.task_arn)
    try:
        page, token = paginate(out, self._get_param("nextToken"), self._get_param("maxResults"), 100)
    except ValueError:
        raise InvalidParameter("Invalid nextToken.")
    result: dict[str, Any] = {"taskArns": page}
    if token:
        result["nextToken"] = token
    return ActionResult(result)


def stop_task(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    cluster = backend._get_cluster(self._get_param("cluster", "default"))
    wanted = self._get_param("task")
    reason = self._get_param("reason") or "Task stopped by user"
    task = next((t for t in backend.tasks.get(cluster.name, {}).values() if _matches(t, wanted or "")), None)
    if task is None:
        raise InvalidParameter("The referenced task was not found.")
    if task._emu is None:
        task._emu = TaskRuntime("run")
    if task.status != "STOPPED":
        was_running = task.status == "RUNNING"
        stop_now(task, 143 if was_running else None, "UserInitiated", reason)
    return ActionResult({"task": task})


def execute_command(self: EC2ContainerServiceResponse) -> ActionResult:
    """ExecuteCommand: the session the session-manager-plugin would open (no agent runs). As
    AWS: a task with several containers needs `container`; an unknown task or container, or a
    task that is not running, is an InvalidParameterException."""
    backend = self.ecs_backend
    cluster = backend._get_cluster(self._get_param("cluster", "default"))
    task = find_task(backend, cluster.name, self._get_param("task") or "")
    if task is None:
        raise InvalidParameter("The referenced task was not found.")
    if task.status != "RUNNING":
        raise InvalidParameter("The execute command failed because the task is not running.")
    name = self._get_param("container")
    containers = [c for c in task.containers if name is None or c.name == name]
    if not containers:
        raise InvalidParameter(f"The container {name} was not found in the task.")
    if len(containers) > 1:
        raise InvalidParameter("The task has more than one container; specify the container name.")
    container = containers[0]
    session_id = f"ecs-execute-command-{task.id}"
    return ActionResult(
        {
            "clusterArn": cluster.arn,
            "containerArn": container.container_arn,
            "containerName": container.name,
            "interactive": bool(self._get_param("interactive")),
            "session": {
                "sessionId": session_id,
                "streamUrl": f"wss://ssmmessages.{self.region}.amazonaws.com/v1/data-channel/{session_id}",
                "tokenValue": "emulator-token",
            },
            "taskArn": task.task_arn,
        }
    )


def find_task(backend: Any, cluster: str, wanted: str) -> Task | None:
    for t in backend.tasks.get(cluster, {}).values():
        if _matches(t, wanted):
            return t
    return None


def _status_get(self: Task) -> str | None:
    if getattr(self, "_emu", None) is not None:
        return self._status
    return ManagedState.status.fget(self)


def install() -> None:
    Task.__init__ = _task_init
    Task.status = property(_status_get, ManagedState.status.fset)
    EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(_calc_resources)
    EC2ContainerServiceBackend.run_task = run_task
    R = EC2ContainerServiceResponse
    R.describe_tasks = describe_tasks
    R.list_tasks = list_tasks
    R.stop_task = stop_task
    R.execute_command = execute_command

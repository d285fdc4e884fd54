"""The fleet benchmark (run by scripts/bench-fleet, which builds ristretto and starts the
emulator): against the emulator with ECS's request throttling on and rollouts on the wall
clock (`rollout_mode: time`, about 10 s each), deploys fleets of N services and prints, per N:
the wall time as a ratio of one deploy, ECS requests per poll round, the peak requests per
second of each API family against its quota, the ThrottlingExceptions, the CPU time and peak
memory of the ristretto process, and how long after the rollouts ended ristretto reported them
(for N = 1, the median and max of several deploys; for a fleet, from the end of its last
rollout). With --ecs-deploy, fabfuel's ecs-deploy runs the same rollouts (one process per
service) for comparison. Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timezone
from pathlib import Path

import boto3

REGION = "ap-northeast-1"
CLUSTER = "bench"
# About 10 s; the draining phase varies by round (`phases`) so that rollout ends do not fall on
# whole seconds after the start, where a 1 s poll would meet them exactly.
PHASES = {"task_start": 4.0, "health_check": 4.0, "draining": 2.0, "bake": 0.0}


def phases(round_: int) -> dict[str, float]:
    return {**PHASES, "draining": PHASES["draining"] + (0.13 + round_ * 0.37) % 1.0}


def rollout(round_: int) -> float:
    p = phases(round_)
    return p["task_start"] + p["health_check"] + p["draining"]
USAGE = re.compile(
    r"ECS requests: (\d+) sent, (\d+) waited for the request budget, (\d+) throttled; poller: (\d+) rounds, "
    r"(\d+) DescribeServices naming (\d+) services, (\d+) DescribeServiceDeployments"
)


class Emulator:
    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.account = 200000000000

    def control(self, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.endpoint + path, data=data, method="POST" if data else "GET")
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read() or b"{}")

    def new_account(self) -> dict[str, str]:
        """A fresh account (its own buckets and services); returns its environment."""
        self.account += 1
        return {"AWS_ACCESS_KEY_ID": f"AKIA{self.account}", "AWS_SECRET_ACCESS_KEY": "bench"}


def ecs_client(env: dict[str, str]):
    return boto3.client(
        "ecs",
        endpoint_url=os.environ["AWS_ENDPOINT_URL"],
        region_name=REGION,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )


def setup(emulator: Emulator, count: int) -> tuple[dict[str, str], str]:
    """An account with a cluster and `count` steady services on revision 1, throttling off;
    then rollouts follow the wall clock and throttling is turned on (counters reset)."""
    env = emulator.new_account()
    account = env["AWS_ACCESS_KEY_ID"][4:]
    emulator.control("/_emulator/throttling", {"enabled": False, "account": account, "reset": True})
    emulator.control("/_emulator/config", {"account": account, "rollout_mode": "time",
                                           "phase_seconds": {name: 0 for name in PHASES}})
    ecs = ecs_client(env)
    ecs.create_cluster(clusterName=CLUSTER)
    for i in range(1, count + 1):
        name = f"svc{i}"
        ecs.register_task_definition(family=name, containerDefinitions=[
            {"name": "app", "image": "nginx:1", "memory": 64}])
        ecs.create_service(cluster=CLUSTER, serviceName=name, taskDefinition=f"{name}:1",
                           desiredCount=1, launchType="EC2")
    names = [f"svc{i}" for i in range(1, count + 1)]
    for _ in range(100):
        if all(len(s["deployments"]) == 1 and s["runningCount"] == 1 for s in describe(ecs, names)):
            break
        time.sleep(0.2)
    emulator.control("/_emulator/config", {"account": account, "rollout_mode": "time", "phase_seconds": phases(0)})
    emulator.control("/_emulator/throttling", {"enabled": True, "account": account, "reset": True})
    return env, account


def describe(ecs, names: list[str]) -> list[dict]:
    services = []
    for i in range(0, len(names), 10):
        services += ecs.describe_services(cluster=CLUSTER, services=names[i:i + 10])["services"]
    return services


def rollout_ends(env: dict[str, str], count: int, round_: int) -> list[float]:
    """When each service's latest rollout ended on the emulator's clock (its start + phases)."""
    ecs = ecs_client(env)
    ends = []
    for service in describe(ecs, [f"svc{i}" for i in range(1, count + 1)]):
        primary = next(d for d in service["deployments"] if d["status"] == "PRIMARY")
        ends.append(primary["createdAt"].astimezone(timezone.utc).timestamp() + rollout(round_))
    return ends


def run(command: list[str], env: dict[str, str], cwd: Path, log: Path) -> dict:
    """Runs `command`; its wall time, CPU seconds, peak RSS (MiB) and exit time."""
    started = time.time()
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    exited = time.time()
    if status != 0:
        sys.exit(f"failed ({status}): {' '.join(command)}\n{log.read_text()[-3000:]}")
    return {"wall": exited - started, "cpu": usage.ru_utime + usage.ru_stime,
            "rss": usage.ru_maxrss / 1024, "exited": exited}


def write_configs(work: Path, count: int) -> None:
    (work / "service.jsonnet").write_text(
        f"{{ region: '{REGION}', cluster: '{CLUSTER}', service: std.extVar('SERVICE'), "
        "task_definition: 'td.jsonnet', service_definition: 'sd.json', timeout: '20m' }\n")
    (work / "td.jsonnet").write_text(
        "{ family: std.extVar('SERVICE'), containerDefinitions: [{ name: 'app', "
        "image: 'nginx:' + std.extVar('TAG'), memory: 64 }] }\n")
    (work / "sd.json").write_text('{"launchType": "EC2", "desiredCount": 1}\n')
    lines = [f"concurrency: {count}", "services:"]
    lines += [f"  svc{i}: {{config: service.jsonnet, ext_str: {{SERVICE: svc{i}, TAG: '2'}}}}" for i in range(1, count + 1)]
    (work / "ristretto-fleet.yml").write_text("\n".join(lines) + "\n")


def throttling_figures(emulator: Emulator, account: str) -> dict:
    report = emulator.control(f"/_emulator/throttling?account={account}")
    rows = report["buckets"]
    worst = max(rows, key=lambda r: r["peak_requests_per_second"] / r["burst"], default=None)
    reads = next((r for r in rows if r["bucket"] == "Service read actions"), None)
    return {
        "throttled": sum(r["throttled"] for r in rows),
        "reads_peak": reads["peak_requests_per_second"] if reads else 0,
        "worst": f"{worst['bucket']} {worst['peak_requests_per_second']}/{worst['burst']:g}" if worst else "-",
    }


def bench_ristretto(emulator: Emulator, ristretto: str, count: int, rounds: int, work: Path) -> dict:
    env, account = setup(emulator, count)
    write_configs(work, count)
    delays, walls = [], []
    figures: dict = {}
    for round_ in range(rounds if count == 1 else 1):
        tag = str(round_ + 2)
        emulator.control("/_emulator/config", {"account": account, "rollout_mode": "time",
                                               "phase_seconds": phases(round_)})
        if count == 1:
            command = [ristretto, "--debug", "--config", "service.jsonnet", "--ext-str", "SERVICE=svc1",
                       "--ext-str", f"TAG={tag}", "deploy"]
        else:
            command = [ristretto, "--debug", "fleet", "deploy"]
        result = run(command, env, work, work / f"ristretto-{count}.log")
        delays.append(result["exited"] - max(rollout_ends(env, count, round_)))
        walls.append(result["wall"])
        figures = result
    usage = USAGE.search((work / f"ristretto-{count}.log").read_text())
    per_poll = "-"
    if usage:
        rounds_seen = int(usage.group(4))
        calls = int(usage.group(5)) + int(usage.group(7))
        per_poll = f"{calls / max(rounds_seen, 1):.1f}"
    return {**figures, "wall": statistics.median(walls), "delays": delays, "per_poll": per_poll,
            **throttling_figures(emulator, account),
            "budget_waits": usage.group(2) if usage else "-"}


def bench_ecs_deploy(emulator: Emulator, ecs_deploy: str, count: int, work: Path) -> dict:
    env, account = setup(emulator, count)
    started = time.time()
    processes = []
    for i in range(1, count + 1):
        log = open(work / f"ecs-deploy-{i}.log", "wb")
        processes.append(subprocess.Popen(
            [ecs_deploy, "deploy", CLUSTER, f"svc{i}", "--image", "app", "nginx:2", "--timeout", "600",
             "--region", REGION],
            env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT))
    cpu, rss, failed = 0.0, 0.0, 0
    for process in processes:
        _, status, usage = os.wait4(process.pid, 0)
        failed += status != 0
        cpu += usage.ru_utime + usage.ru_stime
        rss = max(rss, usage.ru_maxrss / 1024)
    exited = time.time()
    return {"wall": exited - started, "cpu": cpu, "rss": rss, "failed": failed,
            "delays": [exited - max(rollout_ends(env, count, 0))], "per_poll": "-", "budget_waits": "-",
            **throttling_figures(emulator, account)}


def row(tool: str, count: int, result: dict, single: float) -> str:
    delays = sorted(result["delays"])
    delay = f"{statistics.median(delays):.2f}/{delays[-1]:.2f}" if len(delays) > 1 else f"{delays[0]:.2f}"
    failed = f" ({result['failed']} failed)" if result.get("failed") else ""
    return (f"{tool:<10} {count:>4} {result['wall']:>7.1f} {result['wall'] / single:>6.2f}x {result['per_poll']:>8} "
            f"{result['reads_peak']:>6}/100 {result['worst']:<34} {result['throttled']:>5} "
            f"{result['cpu']:>6.2f} {result['rss']:>7.1f} {delay:>11}{failed}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ristretto", required=True)
    parser.add_argument("--counts", default="1,20,100,500")
    parser.add_argument("--rounds", type=int, default=10, help="deploys of one service (delay median/max)")
    parser.add_argument("--ecs-deploy", help="fabfuel's ecs-deploy executable (compared for N <= 20)")
    args = parser.parse_args()
    emulator = Emulator(os.environ["AWS_ENDPOINT_URL"])
    counts = [int(c) for c in args.counts.split(",")]
    print(f"rollouts of {rollout(0):.2f} s (N = 1: {rollout(0):.2f}-{max(rollout(r) for r in range(args.rounds)):.2f} s) on the emulator's clock, ECS throttling on; "
          "delay = rollout end -> reported (N = 1: median/max of the rounds; fleets: from the last rollout's end)")
    print(f"{'tool':<10} {'N':>4} {'wall s':>7} {'ratio':>7} {'req/poll':>8} {'reads/s':>10} "
          f"{'busiest bucket peak/s vs burst':<34} {'thr.':>5} {'cpu s':>6} {'rss MiB':>7} {'delay s':>11}", flush=True)
    single = None
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for count in counts:
            result = bench_ristretto(emulator, args.ristretto, count, args.rounds, work)
            single = single or result["wall"]
            print(row("ristretto", count, result, single), flush=True)
        if args.ecs_deploy:
            single = None
            for count in [c for c in counts if c <= 20]:
                result = bench_ecs_deploy(emulator, args.ecs_deploy, count, work)
                single = single or result["wall"]
                print(row("ecs-deploy", count, result, single), flush=True)


if __name__ == "__main__":
    main()

"""ristretto's local AWS emulator: moto 5.2.5 run in-process, patched to simulate
ECS rollouts, service deployments, CodeDeploy progression and one-off task
outcomes, plus a JSON control API under /_emulator/ on the same port."""

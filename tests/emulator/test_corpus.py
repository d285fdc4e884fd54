"""The AWS answer corpus (tests/fixtures/aws-corpus): every published answer conforms to
botocore's output shape, and replaying it through the emulator hands boto3 the same body."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "fixtures" / "aws-corpus"
sys.path.insert(0, str(HERE))

from ristretto_emulator import shape_check  # noqa: E402

CASES = sorted(p for p in CORPUS.iterdir() if (p / "case.json").is_file())


def test_corpus_is_large_enough():
    sources = {json.loads((c / "case.json").read_text())["source"].split(" ")[0].split("@")[0] for c in CASES}
    assert len(CASES) >= 30
    assert len(sources) >= 10, sources


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_files_and_shapes(case: Path):
    meta = json.loads((case / "case.json").read_text())
    for key in ("source", "description", "operation", "service_model", "region", "edits", "replay"):
        assert key in meta, key
    allowed = {f"{meta['operation']}: {path}: unknown member" for path in meta.get("members_unknown_to_botocore", [])}
    for entry in meta["replay"]:
        body = json.loads((case / entry["file"]).read_text())
        violations = shape_check.validate(meta["service_model"], entry["operation"], body)
        unexpected = [v for v in violations if not any(v.startswith(a) for a in allowed)]
        assert unexpected == [], unexpected
        if entry["file"] == "response.json":
            assert len(violations) - len(unexpected) == len(allowed), "members_unknown_to_botocore lists members the answer lacks"
    if (case / "change.json").exists():
        change = json.loads((case / "change.json").read_text())
        assert (case / change["file"]).is_file() and isinstance(change["merge_patch"], dict) and change["merge_patch"]
        assert (case / "ecspresso.yml").is_file() and (case / "ecs-task-def.json").is_file()
        if meta["operation"] == "DescribeServices":
            assert (case / "ecs-service-def.json").is_file()


def test_shape_check_names_operation_and_path():
    body = json.loads((CORPUS / "cli-update-service-desired-count" / "response.json").read_text())
    svc = body["services"][0]
    svc["deployments"][0]["fooBar"] = 1                      # unknown member
    svc["launchType"] = "SPACESHIP"                          # not in the LaunchType enum
    svc["createdAt"] = "2024-12-03T16:24:25Z"                # CLI-style timestamp, not epoch
    svc["desiredCount"] = True                               # boolean for an integer
    del svc["deploymentConfiguration"]["deploymentCircuitBreaker"]["rollback"]  # required member
    svc["taskDefinition"] = None                             # null
    got = shape_check.validate("ecs", "DescribeServices", body)
    assert "DescribeServices: services[0].deployments[0].fooBar: unknown member of Deployment" in got
    assert any(v.startswith("DescribeServices: services[0].launchType: 'SPACESHIP' is not one of LaunchType") for v in got)
    assert any(v.startswith("DescribeServices: services[0].createdAt: expected epoch seconds") for v in got)
    assert any(v.startswith("DescribeServices: services[0].desiredCount: expected integer") for v in got)
    assert "DescribeServices: services[0].deploymentConfiguration.deploymentCircuitBreaker.rollback: missing required member of DeploymentCircuitBreaker" in got
    assert any(v.startswith("DescribeServices: services[0].taskDefinition: null value") for v in got)
    assert len(got) == 6, got
    # operations/services outside the JSON protocols are not checked
    assert shape_check.validate("sts", "GetCallerIdentity", {"anything": 1}) == []
    assert shape_check.validate("ecs", "NoSuchOperation", {"anything": 1}) == []

"""The emulator's answers during ristretto's end-to-end suite match botocore's output shapes.

The e2e harness (tests/e2e/support.rs) runs the emulator with RISTRETTO_EMULATOR_SHAPE_CHECK=1
and collects every violation, one JSON line each, in the file this test reads:
RISTRETTO_E2E_SHAPE_LOG, else target/e2e-shape-violations.jsonl at the repository root.
scripts/test-all runs this suite after `cargo test`, so the file is the one that run wrote; when
the e2e suite has not run (no file), there is nothing to check.
"""

import json
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_answer_during_the_e2e_suite_matched_botocore():
    log = pathlib.Path(
        os.environ.get("RISTRETTO_E2E_SHAPE_LOG", ROOT / "target" / "e2e-shape-violations.jsonl")
    )
    if not log.exists():
        pytest.skip(f"{log} does not exist: the e2e suite has not run")
    violations = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert not violations, "\n".join(
        json.dumps(v, sort_keys=True) for v in violations[:50]
    ) + f"\n({len(violations)} violations)"

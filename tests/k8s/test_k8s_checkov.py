"""checkov on every rendered combination: each failed check must have a written waiver."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from k8s_gate import REPO_ROOT, cached_render, combination_name, combinations

WAIVERS_FILE = REPO_ROOT / "ci" / "checkov-waivers.yaml"


def checkov_binary() -> str:
    return str(Path(sys.executable).parent / "checkov")


@pytest.fixture(scope="module")
def checkov_failures(tmp_path_factory) -> set[tuple[str, str, str]]:
    """Run checkov once over all renders; return (combination, check id, resource)."""
    folder = tmp_path_factory.mktemp("rendered")
    for overlay, components in combinations():
        name = combination_name(overlay, components)
        (folder / f"{name}.yaml").write_text(cached_render(overlay, components).text)

    result = subprocess.run(
        [
            checkov_binary(),
            "--directory",
            str(folder),
            "--framework",
            "kubernetes",
            "--skip-download",
            "--quiet",
            "--compact",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # checkov exits 1 when a check failed; anything else or no JSON is a broken run.
    if result.returncode not in (0, 1) or not result.stdout.strip():
        pytest.fail(f"checkov failed to run (exit {result.returncode}):\n{result.stderr[-3000:]}")

    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    return {
        (Path(check["file_path"]).stem, check["check_id"], check["resource"])
        for report in reports
        for check in report["results"]["failed_checks"]
    }


def load_waivers() -> dict[str, str]:
    return yaml.safe_load(WAIVERS_FILE.read_text()) or {}


def test_checkov_failures_all_waived(checkov_failures):
    waivers = load_waivers()

    unwaived = sorted(failure for failure in checkov_failures if failure[1] not in waivers)

    assert unwaived == [], "fix these, or add a waiver with its reason to ci/checkov-waivers.yaml"


def test_checkov_waivers_have_reasons():
    short = [check for check, reason in load_waivers().items() if len(str(reason or "")) < 40]

    assert short == []


def test_checkov_waivers_still_needed(checkov_failures):
    used = {check_id for _, check_id, _ in checkov_failures}

    stale = sorted(set(load_waivers()) - used)

    assert stale == []

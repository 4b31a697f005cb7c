"""The GitHub Actions workflows and Dependabot config that the project's users get.

They are checked against SchemaStore's schemas for GitHub workflows and
Dependabot (bundled with check-jsonschema, so offline). actionlint, which
would also type-check expressions, cannot be installed here: see README.md.
"""

import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, run

BIN = Path(sys.executable).parent
WORKFLOWS = ROOT / ".github/workflows"


def check_schema(schema, *paths):
    command = [str(BIN / "check-jsonschema"), "--builtin-schema", schema, *map(str, paths)]
    return run(command, check=False, timeout=120)


def load(path):
    # PyYAML reads the key `on` as True (YAML 1.1); BaseLoader keeps it a string.
    return yaml.load(path.read_text(), Loader=yaml.BaseLoader)  # noqa: S506 (BaseLoader makes no objects)


@pytest.mark.parametrize(
    ("schema", "path"),
    [
        ("vendor.github-workflows", WORKFLOWS / "ci.yml"),
        ("vendor.github-workflows", WORKFLOWS / "release.yml"),
        ("vendor.dependabot", ROOT / ".github/dependabot.yml"),
    ],
    ids=lambda value: getattr(value, "name", value),
)
def test_config_matches_its_schema(schema, path):
    result = check_schema(schema, path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  test:\n    steps: [{uses: actions/checkout@v4}]\n")
    assert check_schema("vendor.github-workflows", broken).returncode != 0  # no runs-on


def test_pull_requests_run_every_test_with_nothing_skipped():
    ci = load(WORKFLOWS / "ci.yml")
    assert "pull_request" in ci["on"]
    job = ci["jobs"]["test"]
    assert job["env"]["CI"] == "true"
    assert any(step.get("run") == "scripts/test" for step in job["steps"])


def test_version_tags_build_both_platforms_with_sbom_provenance_and_cache():
    release = load(WORKFLOWS / "release.yml")
    assert release["on"]["push"]["tags"] == ["v*.*.*"]
    assert release["jobs"]["image"]["needs"] == "test"
    steps = release["jobs"]["image"]["steps"]
    build = next(s for s in steps if s.get("uses", "").startswith("docker/build-push-action@"))
    options = build["with"]
    assert options["platforms"] == "linux/amd64,linux/arm64"
    assert options["push"] == "true"
    assert options["sbom"] == "true"
    assert options["provenance"].startswith("mode=")
    assert options["cache-from"]
    assert options["cache-to"]
    assert "VERSION=" in options["build-args"]
    assert "REVISION=" in options["build-args"]
    meta = next(s for s in steps if s.get("id") == "meta")
    assert meta["with"]["images"].startswith("ghcr.io/")
    assert "type=semver" in meta["with"]["tags"]


def test_dependabot_updates_pip_docker_and_actions():
    config = load(ROOT / ".github/dependabot.yml")
    ecosystems = {update["package-ecosystem"] for update in config["updates"]}
    assert {"pip", "docker", "github-actions"} <= ecosystems

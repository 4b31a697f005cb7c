"""The GitHub Actions workflows and Dependabot config that the project's users get.

They are checked against SchemaStore's schemas for GitHub workflows and
Dependabot (bundled with check-jsonschema, so offline), and the workflows are
linted by actionlint, which also type-checks their expressions and runs
shellcheck on every `run:` script.
"""

import json
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, require, run

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


def actionlint(*paths):
    """actionlint's findings as JSON; it must find shellcheck, or it skips the scripts."""
    for tool, install in (
        ("actionlint", "see https://github.com/rhysd/actionlint (CI puts it on PATH)"),
        ("shellcheck", "apt-get install shellcheck"),
    ):
        if not shutil.which(tool):
            require(tool, install)
    command = ["actionlint", "-verbose", "-format", "{{json .}}", *map(str, paths)]
    return run(command, check=False, timeout=120, cwd=ROOT)


def test_actionlint_passes_both_workflows_with_shellcheck_on():
    result = actionlint(WORKFLOWS / "ci.yml", WORKFLOWS / "release.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == []
    assert "Linting 2 files" in result.stderr
    for name in ("ci.yml", "release.yml"):
        assert re.search(rf"Found total 0 errors in \d+ ms for .github/workflows/{name}$",
                         result.stderr, re.MULTILINE), result.stderr  # fmt: skip
    assert 'Rule "shellcheck" was disabled' not in result.stderr


@pytest.mark.parametrize(
    ("good", "bad", "kind"),
    [
        pytest.param("ubuntu-24.04", "ubuntu-42.04", "runner-label", id="unknown runner label"),
        pytest.param("github.ref }}", "github.branch }}", "expression", id="undefined property"),
        pytest.param(
            "run: scripts/test",
            'run: if [ -n "$CI" ] then scripts/test; fi',  # no `;` before then
            "shellcheck",
            id="shell error in a run script",
        ),
    ],
)
def test_actionlint_fails_a_broken_workflow(tmp_path, good, bad, kind):
    text = (WORKFLOWS / "ci.yml").read_text()
    assert good in text
    broken = tmp_path / "ci.yml"
    broken.write_text(text.replace(good, bad))
    result = actionlint(broken)
    assert result.returncode == 1, result.stdout + result.stderr
    assert kind in {error["kind"] for error in json.loads(result.stdout)}, result.stdout

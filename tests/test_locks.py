"""Each lock is what its .in file compiles to, with the command that
docs/configuration.md gives: an update that edits one and not the other (a
package added to an .in file, a pin or hash edited by hand) fails here. uv keeps
the lock's own pins where they still satisfy the .in file, so a new release
upstream changes nothing; it resolves against the package index, like the
build. The npm locks likewise, with npm's own `--package-lock-only`."""

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, require, run

UV = Path(sys.executable).parent / "uv"
PYTHON_LOCKS = ["requirements.txt", "requirements-build.txt", "requirements-dev.txt"]
NPM_FOLDERS = sorted(path.parent for path in ROOT.glob("tests/*/package-lock.json"))


def compile_lock(lock, folder):
    """docs/configuration.md's command for `lock`, run in `folder`: its text after."""
    source = lock.replace(".txt", ".in")
    command = [str(UV), "pip", "compile", source, "--universal", "--python-version", "3.11",
               "--generate-hashes", "--quiet", "-o", lock]  # fmt: skip
    run(command, cwd=folder, timeout=600)
    return (folder / lock).read_text()


@pytest.mark.parametrize("lock", PYTHON_LOCKS)
def test_each_python_lock_is_what_its_in_file_compiles_to(lock, tmp_path):
    for name in ("requirements.in", "requirements-build.in", "requirements-dev.in", *PYTHON_LOCKS):
        shutil.copy(ROOT / name, tmp_path / name)
    assert compile_lock(lock, tmp_path) == (ROOT / lock).read_text()


def test_a_lock_edited_without_its_in_file_is_caught(tmp_path):
    (tmp_path / "requirements-build.in").write_text("Brotli>=1.1\nsix\n")  # a package added
    shutil.copy(ROOT / "requirements-build.txt", tmp_path / "requirements-build.txt")
    lock = compile_lock("requirements-build.txt", tmp_path)
    assert lock != (ROOT / "requirements-build.txt").read_text()


@pytest.mark.parametrize("folder", NPM_FOLDERS, ids=lambda folder: folder.name)
def test_each_npm_lock_is_what_its_package_json_resolves_to(folder, tmp_path):
    if not shutil.which("npm"):
        require("Node.js", "npm is needed for the npm locks")
    for name in ("package.json", "package-lock.json"):
        shutil.copy(folder / name, tmp_path / name)
    run(["npm", "install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"],
        cwd=tmp_path, timeout=600)  # fmt: skip
    assert json.loads((tmp_path / "package-lock.json").read_text()) == json.loads(
        (folder / "package-lock.json").read_text()
    )

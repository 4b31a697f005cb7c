"""scripts/quality's bars, against the container: Lighthouse 100 for accessibility,
best practices and SEO and >= 95 for performance on every page state; no axe-core
violation; a first visit of at most 8 KB."""

import shutil

import pytest

from tests.browser import chromium_available
from tests.conftest import ROOT, require, run

pytestmark = pytest.mark.container


def test_quality_bars_are_met(stack):
    if not chromium_available():
        require("Chromium", "no /usr/bin/chromium (apt-get install chromium)")
    if not shutil.which("node") or not shutil.which("npm"):
        require("Node.js", "node and npm are needed for Lighthouse")
    result = run(["scripts/quality", stack.url], cwd=ROOT, check=False, timeout=600)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    for page in ("form", "greeting", "form with error"):
        assert f"| {page} |" in result.stdout
    assert "First visit:" in result.stdout

"""scripts/quality's bars, against the container: Lighthouse 100 for accessibility,
best practices and SEO and >= 95 for performance on every page state; no axe-core
violation; a first visit of at most 8 KB."""

import os
import shutil

import pytest

from tests.browser import chromium_available, home_trusting
from tests.conftest import ROOT, require, run

pytestmark = pytest.mark.container


def quality(url, home=None):
    if not chromium_available():
        require("Chromium", "no /usr/bin/chromium (apt-get install chromium)")
    if not shutil.which("node") or not shutil.which("npm"):
        require("Node.js", "node and npm are needed for Lighthouse")
    env = {**os.environ, "HOME": str(home)} if home else None
    return run(["scripts/quality", url], cwd=ROOT, check=False, timeout=600, env=env)


def test_quality_bars_are_met_over_https_through_caddy(https_stack, tmp_path):
    """The same bars over HTTPS, in a Chromium that trusts Caddy's local root."""
    if not shutil.which("certutil"):
        require("certutil", "apt-get install libnss3-tools")
    result = quality(https_stack.url, home_trusting(https_stack.root, tmp_path))
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| form |" in result.stdout


def test_quality_bars_are_met(stack):
    result = quality(stack.url)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    for page in ("form", "greeting", "form with error"):
        assert f"| {page} |" in result.stdout
    assert "First visit:" in result.stdout

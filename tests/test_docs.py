"""README.md and docs/ as a reference: every link resolves to a file or a
heading, and every test a page names exists."""

import re
from pathlib import Path

import pytest

from tests.support import ROOT

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TEST_NAME = re.compile(r"`((?:greeter/)?tests/[\w/]+\.py)(?:::(test_\w+))?`")


def anchors(markdown):
    """GitHub's anchors for a page's headings."""
    headings = re.findall(r"^#{1,6} (.+)$", markdown, re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_link_resolves_to_a_file_or_a_heading(document):
    broken = []
    for link in re.findall(r"\]\(([^)\s]+)\)", document.read_text()):
        if re.match(r"https?://", link):
            continue
        target, _, anchor = link.partition("#")
        path = (document.parent / target).resolve() if target else document
        if not path.exists() or (anchor and anchor not in anchors(Path(path).read_text())):
            broken.append(link)
    assert broken == []


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_test_a_page_names_exists(document):
    missing = []
    for path, name in TEST_NAME.findall(document.read_text()):
        source = ROOT / path
        if not source.exists() or (
            name and not re.search(rf"^def {name}\(", source.read_text(), re.M)
        ):
            missing.append(f"{path}::{name}")
    assert missing == []

"""README.md and docs/: short enough for a newcomer, every link resolves to a
file or a heading in the repository, every guarantee names a test that exists,
and nothing about how Greeter was built."""

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
TEST_NAME = re.compile(r"`((?:greeter/)?tests/[\w/]+\.py)::(test_\w+)`")
# The documents whose bullets state what Greeter guarantees: each names its test.
GUARANTEES = [ROOT / "docs/security.md", ROOT / "docs/deployment.md"]


def anchors(markdown):
    """GitHub's anchors for a document's headings."""
    found = set()
    for heading in re.findall(r"^#{1,6} (.+)$", markdown, re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        found.add(slug)
    return found


def test_the_readme_is_at_most_150_lines():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 150


def test_the_readme_names_the_docker_versions_the_compose_files_need():
    """Engine 25 for the health check's start_interval, Compose 2.24 for !reset."""
    readme = (ROOT / "README.md").read_text()
    assert "Docker Engine 25 or newer with Compose v2.24 or newer" in readme
    assert "start_interval:" in (ROOT / "docker-compose.yml").read_text()
    assert "!reset" in (ROOT / "docker-compose.production.yml").read_text()


def broken_links(document, root=ROOT):
    """The relative links of a document that name no file, or no heading of it."""
    broken = []
    for link in LINK.findall(document.read_text()):
        if re.match(r"https?://", link):
            continue
        target, _, anchor = link.partition("#")
        path = (document.parent / target).resolve() if target else document
        missing = not (path.is_relative_to(root) and path.exists())
        if missing or (anchor and anchor not in anchors(Path(path).read_text())):
            broken.append(link)
    return broken


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_link_resolves_to_a_file_or_heading(document):
    assert broken_links(document) == []


def test_a_missing_file_or_heading_is_a_broken_link(tmp_path):
    (tmp_path / "other.md").write_text("# Other\n\n## A heading, with words\n")
    document = tmp_path / "doc.md"
    document.write_text(
        "[ok](other.md#a-heading-with-words) [no file](gone.md) [no heading](other.md#nothing) "
        "[web](https://example.org)\n"
    )
    assert broken_links(document, root=tmp_path) == ["gone.md", "other.md#nothing"]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_nothing_about_how_greeter_was_built(document):
    text = document.read_text()
    for history in (r"\bissue #?\d", r"\b[0-9a-f]{7}\b(?! bytes)", r"\.\./shared", r"this machine",
                    r"seed peer", r"\bsession\b.*\bCEO\b"):  # fmt: skip
        assert not re.search(history, text, re.IGNORECASE), (document.name, history)


def missing_tests(document, root=ROOT):
    """The `path::test_name` references of a document that name no test."""
    missing = []
    for path, name in TEST_NAME.findall(document.read_text()):
        source = root / path
        if not source.exists() or not re.search(rf"^def {name}\(", source.read_text(), re.M):
            missing.append(f"{path}::{name}")
    return missing


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_named_test_exists(document):
    assert missing_tests(document) == []


def test_a_renamed_or_moved_test_is_caught(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/test_a.py").write_text("def test_real():\n    pass\n")
    document = tmp_path / "doc.md"
    document.write_text("`tests/test_a.py::test_real` `tests/test_a.py::test_gone` "
                        "`tests/test_b.py::test_real`\n")  # fmt: skip
    assert missing_tests(document, root=tmp_path) == [
        "tests/test_a.py::test_gone", "tests/test_b.py::test_real"
    ]  # fmt: skip


def guarantee_bullets(text):
    """The bold-led bullets (`- **Topic**: …`) with their continuation lines."""
    return re.findall(r"^- \*\*.*?(?=^- |^$|^#|\Z)", text, re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("document", GUARANTEES, ids=lambda path: path.name)
def test_every_guarantee_names_the_test_that_proves_it(document):
    bullets = guarantee_bullets(document.read_text())
    assert len(bullets) >= 5
    unproven = [bullet.split("\n")[0] for bullet in bullets if not TEST_NAME.search(bullet)]
    assert unproven == []

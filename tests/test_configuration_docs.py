"""Every environment variable the code reads is documented in docs/configuration.md and
.env.example."""

import re

import pytest

from tests.conftest import ROOT

READERS = {
    "project/settings.py": r'env\.\w+\(\s*"([A-Z_]+)"',
    "project/environment.py": r'env\.\w+\(\s*"([A-Z_]+)"',
    "gunicorn.conf.py": r"env\.\w+\(\s*[\"']([A-Z_]+)[\"']",
    "docker-entrypoint.sh": r"^for name in ([A-Z_ ]+);",
    "docker-compose.yml": r"\$\{([A-Z_]+)",
    "docker-compose.production.yml": r"\$\{([A-Z_]+)",
}


def variables_read():
    found = set()
    for path, pattern in READERS.items():
        for names in re.findall(pattern, (ROOT / path).read_text(), re.MULTILINE):
            found |= set(names.split())
    return sorted(found)


def test_the_code_reads_the_documented_variables():
    expected = {"DJANGO_SECRET_KEY", "WEB_CONCURRENCY", "GREETER_PORT", "GUNICORN_CMD_ARGS", "PORT"}
    assert expected <= set(variables_read())


@pytest.mark.parametrize("variable", variables_read())
def test_variable_is_documented(variable):
    assert f"| `{variable}` |" in (ROOT / "docs/configuration.md").read_text()
    assert re.search(rf"^#? ?{variable}=", (ROOT / ".env.example").read_text(), re.MULTILINE)

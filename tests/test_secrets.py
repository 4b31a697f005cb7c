"""No secret in any image layer or in the image's history. The repository is
scanned with the same patterns by a pre-commit hook (scripts/check-secrets)."""

import io
import json
import re
import subprocess
import tarfile

import pytest

from bench.measure import base_image
from tests.conftest import run

SECRET_PATTERNS = [
    re.compile(rb"-----BEGIN (?:RSA |EC |OPENSSH |DSA |ENCRYPTED )?PRIVATE KEY-----"),
    re.compile(rb"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key
    re.compile(rb"\bgh[pousr]_[A-Za-z0-9]{36}\b"),  # GitHub token
    re.compile(rb"\bxox[baprs]-[A-Za-z0-9-]{10,}"),  # Slack token
    re.compile(rb"django-insecure-[^\s\"']{20,}"),  # startproject's generated key
]
# In Greeter's own files also: a secret given a literal value instead of being
# read from the environment. (Third-party code names constants like this.)
OWN_CODE_PATTERNS = [
    re.compile(rb"(?i)(?:SECRET_KEY|PASSWORD|API_KEY|TOKEN)\s*[=:]\s*[\"'][^\"'\s]{16,}[\"']"),
    re.compile(rb"(?im)^DJANGO_SECRET_KEY=\S+"),  # a filled-in .env line
]
SECRET_FILE_NAMES = re.compile(r"(^|/)(\.env|id_rsa|id_ed25519|.*\.pem|.*\.key|.*\.p12)$")


def secrets_in(name, content, own_code=True):
    patterns = SECRET_PATTERNS + (OWN_CODE_PATTERNS if own_code else [])
    return [f"{name}: {p.pattern[:40]!r}" for p in patterns if p.search(content)]


def test_the_scan_finds_a_planted_secret():
    # Built from pieces, so that this file does not hold the secrets it plants.
    planted = (
        b"SECRET_KEY" + b' = "' + b"s3cr3t" * 5 + b'"\n' + b"-----BEGIN " + b"PRIVATE KEY-----"
    )
    assert len(secrets_in("planted", planted)) == 2


@pytest.mark.container
def test_no_secret_in_the_image_config_or_history(stack):
    image = "greeter:latest"
    [config] = json.loads(run(["docker", "image", "inspect", image]).stdout)
    env = dict(item.split("=", 1) for item in config["Config"]["Env"])
    assert "DJANGO_SECRET_KEY" not in env
    history = run(["docker", "history", "--no-trunc", "--format", "{{.CreatedBy}}", image]).stdout
    assert "SECRET_KEY" not in history
    assert secrets_in("history", history.encode()) == []


@pytest.mark.container
def test_no_secret_in_any_image_layer(stack):
    """Every file of every layer of the app (the base image's CA certificates aside)."""
    saved = subprocess.run(
        ["docker", "save", "greeter:latest"], capture_output=True, check=True, timeout=300
    ).stdout
    found, scanned = [], 0
    with tarfile.open(fileobj=io.BytesIO(saved)) as image:
        manifest = json.load(member_file(image, "manifest.json"))
        base_layers = set(base_image_layers())
        for layer_name in manifest[0]["Layers"]:
            layer = member_file(image, layer_name).read()
            with tarfile.open(fileobj=io.BytesIO(layer)) as files:
                members = [m for m in files.getmembers() if m.isfile()]
                if {m.name for m in members} and layer_name in base_layers:
                    continue
                for member in members:
                    scanned += 1
                    if SECRET_FILE_NAMES.search(member.name):
                        found.append(f"{member.name}: a secret's file name")
                    elif member.size < 1_000_000:
                        content = member_file(files, member).read()
                        own_code = member.name.startswith("app/")
                        found += secrets_in(member.name, content, own_code=own_code)
    assert scanned > 1000  # the venv and the app were really read
    assert found == []


def member_file(archive, member):
    """A regular file of a tar archive, opened for reading."""
    opened = archive.extractfile(member)
    assert opened is not None, f"{member} is not a regular file"
    return opened


def base_image_layers():
    """The layer files of the image Greeter's image starts from."""
    saved = subprocess.run(
        ["docker", "save", base_image()], capture_output=True, check=True, timeout=300
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(saved)) as image:
        layers: list[str] = json.load(member_file(image, "manifest.json"))[0]["Layers"]
        return layers

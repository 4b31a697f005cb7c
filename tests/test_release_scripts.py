"""The release workflow's scripts, with stand-ins for cosign and gh that record
what they are asked (the real ones need a GitHub Actions run's OIDC token)."""

import subprocess

import pytest

from tests.support import ROOT

ENV = {
    "IMAGE": "ghcr.io/Owner/Greeter",
    "DIGEST": "sha256:" + "a" * 64,
    "GITHUB_REPOSITORY": "Owner/Greeter",
}
REFERENCE = "ghcr.io/owner/greeter@sha256:" + "a" * 64  # registries want lower case


def release_script(name, tmp_path, *args, failing=(), **env):
    """Runs scripts/NAME ARGS...; returns (exit status, the stand-ins' calls)."""
    tools = tmp_path / "bin"
    tools.mkdir(exist_ok=True)
    calls = tmp_path / "calls"
    for tool in ("cosign", "gh"):
        status = 1 if tool in failing else 0
        (tools / tool).write_text(f'#!/bin/sh\necho "{tool} $*" >> "{calls}"\nexit {status}\n')
        (tools / tool).chmod(0o755)
    result = subprocess.run(
        [str(ROOT / "scripts" / name), *args],
        env={"PATH": f"{tools}:/usr/bin:/bin", **ENV, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return result.returncode, calls.read_text().splitlines() if calls.exists() else []


def test_sign_signs_the_pushed_digest_without_a_key(tmp_path):
    assert release_script("release-sign", tmp_path) == (0, [f"cosign sign --yes {REFERENCE}"])


def test_verify_checks_the_signer_workflow_then_the_attestation(tmp_path):
    status, calls = release_script("release-verify", tmp_path)
    assert status == 0
    identity = r"^https://github\.com/Owner/Greeter/\.github/workflows/release\.yml@refs/tags/v"
    assert calls == [
        f"cosign verify {REFERENCE} --certificate-identity-regexp {identity} "
        "--certificate-oidc-issuer https://token.actions.githubusercontent.com",
        f"gh attestation verify oci://{REFERENCE} --repo Owner/Greeter "
        "--signer-workflow Owner/Greeter/.github/workflows/release.yml",
    ]


@pytest.mark.parametrize("failing", ["cosign", "gh"])
def test_verify_fails_the_release_when_either_check_fails(tmp_path, failing):
    status, calls = release_script("release-verify", tmp_path, failing=(failing,))
    assert status != 0
    assert len(calls) == (1 if failing == "cosign" else 2)  # stops at the first failure


@pytest.mark.parametrize("name", ["release-sign", "release-verify"])
def test_a_missing_digest_stops_before_anything_is_signed_or_checked(tmp_path, name):
    assert release_script(name, tmp_path, DIGEST="") == (1, [])

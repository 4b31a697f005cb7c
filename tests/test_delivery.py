"""The seed's workflow for real: build, tag, push to a registry, delete every
local copy, pull, run the pulled image, greet through it. And statelessness:
any replica answers a form another replica served."""

import json
import time

import pytest
import requests

from bench.measure import base_image_build_args
from tests.conftest import ROOT, csrf_token, greet, run, running_container

pytestmark = pytest.mark.container

VERSION = "1.0.0"


def git_revision():
    result = run(["git", "rev-parse", "HEAD"], cwd=ROOT, check=False)
    return result.stdout.strip() if result.returncode == 0 else "unknown"


def labels(image):
    return json.loads(
        run(["docker", "image", "inspect", "-f", "{{json .Config.Labels}}", image]).stdout
    )


def test_build_tag_push_delete_pull_and_run_through_a_registry(registry):
    revision = git_revision()
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    build_args = [f"VERSION={VERSION}", f"REVISION={revision}", f"CREATED={created}"]
    args = [arg for build_arg in build_args for arg in ("--build-arg", build_arg)]
    args += base_image_build_args()  # PYTHON_IMAGE, where set (a mirror, a stand-in)
    run(["docker", "build", "-t", "mlops-docker-demo", *args, "."], cwd=ROOT)

    remote = f"{registry}/greeter-user/mlops-docker-demo:{VERSION}"
    run(["docker", "tag", "mlops-docker-demo", remote])
    run(["docker", "push", remote])

    image_id = run(["docker", "image", "inspect", "-f", "{{.Id}}", remote]).stdout.strip()
    run(["docker", "rmi", "-f", image_id])  # every tag of it: nothing local is left
    assert run(["docker", "image", "inspect", remote], check=False).returncode != 0

    run(["docker", "pull", remote])
    assert run(["docker", "image", "inspect", "-f", "{{.Id}}", remote]).stdout.strip() == image_id
    image_labels = labels(remote)
    assert image_labels["org.opencontainers.image.version"] == VERSION
    assert image_labels["org.opencontainers.image.revision"] == revision
    assert image_labels["org.opencontainers.image.created"] == created
    assert image_labels["org.opencontainers.image.licenses"] == "MIT"
    assert image_labels["org.opencontainers.image.source"].startswith("https://")

    with running_container(remote, prefix="greeter-pulled") as (_, url):
        response = greet(url, "Ada")
        assert "Hello Ada, Welcome to this app for Docker Demonstration." in response.text
        assert requests.get(f"{url}/healthz", timeout=10).json()["version"] == VERSION


def test_a_form_from_one_replica_posts_to_another_with_a_different_key(stack):
    # Two containers from the same image, each with its own secret key, as two
    # replicas behind a load balancer: the form comes from the first, the post
    # (with the first's cookie and token) goes to the second.
    first_env = {"DJANGO_SECRET_KEY": "first-" + "a" * 50}
    second_env = {"DJANGO_SECRET_KEY": "second-" + "b" * 50}
    with (
        running_container("greeter:latest", env=first_env) as (_, first),
        running_container("greeter:latest", env=second_env) as (_, second),
    ):
        session = requests.Session()
        form = session.get(f"{first}/", timeout=10)
        token = csrf_token(form.text)
        response = session.post(
            f"{second}/greet", data={"username": "Ada", "csrfmiddlewaretoken": token}, timeout=10
        )
        assert response.status_code == 200
        assert "Hello Ada, Welcome to this app for Docker Demonstration." in response.text

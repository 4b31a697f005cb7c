"""The course's Docker workflow, as docs/docker-workflow.md gives it: build under
the course's name, run, Ctrl+C, tag, push to a real registry, delete, pull, run
the pulled image; and a client other than a browser, with curl."""

import os
import subprocess
import time

import requests

from tests.support import ROOT, docker_rm, docker_run, documented, greet, inspect, run, wait_until

GREETING = "Hello {}, Welcome to this app for Docker Demonstration."


def build_args() -> list[str]:
    """PYTHON_IMAGE names the base where the official one can't be pulled, as compose passes it."""
    return (
        ["--build-arg", f"PYTHON_IMAGE={os.environ['PYTHON_IMAGE']}"]
        if os.environ.get("PYTHON_IMAGE")
        else []
    )


def test_build_run_stop_tag_push_pull_and_run_the_pulled_image(registry, image):
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    labels = ["--build-arg", "VERSION=1.0.0", "--build-arg", f"CREATED={created}"]
    run(["docker", "build", "-t", "mlops-docker-demo", *labels, *build_args(), "."], cwd=ROOT)
    name, url = docker_run("mlops-docker-demo")
    try:
        assert GREETING.format("Ada") in greet(url, "Ada").text
        assert wait_until(lambda: inspect(name, "{{.State.Health.Status}}") == "healthy", 30)
        run(["docker", "kill", "--signal", "INT", name])  # Ctrl+C in `docker run -it`
        assert wait_until(lambda: inspect(name, "{{.State.Running}}") == "false", 5)
    finally:
        docker_rm(name)
    remote = f"{registry}/greeter-user/mlops-docker-demo:1.0.0"
    run(["docker", "tag", "mlops-docker-demo", remote])
    run(["docker", "push", remote])
    pushed = inspect(remote, "{{.Id}}")
    run(["docker", "rmi", "-f", pushed])  # every tag of it: nothing local is left
    run(["docker", "pull", remote])
    assert inspect(remote, "{{.Id}}") == pushed
    assert inspect(remote, '{{index .Config.Labels "org.opencontainers.image.created"}}') == created
    name, url = docker_run(remote)
    try:
        assert requests.get(f"{url}/healthz", timeout=10).json()["version"] == "1.0.0"
        assert GREETING.format("Ada") in greet(url, "Ada").text
    finally:
        docker_rm(name)


def test_the_documented_curl_client_is_greeted_and_a_bare_post_refused(stack, tmp_path):
    bare = requests.post(f"{stack.url}/greet", data={"username": "Bob"}, timeout=10)
    assert bare.status_code == 403  # the seed's own client
    script = documented(
        "docs/docker-workflow.md", r"## A client other than a browser.*?```bash\n(.*?)```"
    )
    greeted = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace("http://localhost:5000", stack.url)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert GREETING.format("Bob") in greeted.stdout

"""The seed's own commands: `docker build -t mlops-docker-demo .`, then
`docker run -p 5000:5000 mlops-docker-demo` (here on 127.0.0.1 and a free port)."""

import time

import pytest
import requests

from bench.measure import base_image_build_args, found
from tests.conftest import ROOT, greet, run, running_container, wait_until

pytestmark = pytest.mark.container

IMAGE = "mlops-docker-demo"


@pytest.fixture(scope="module")
def seed_image(docker):
    # The course's command; PYTHON_IMAGE, where set, names the base (a mirror, a stand-in).
    run(["docker", "build", "-t", IMAGE, *base_image_build_args(), "."], cwd=ROOT)
    return IMAGE


@pytest.fixture
def seed_container(seed_image):
    """`docker run -p 5000:5000 mlops-docker-demo`, detached so the test can drive it."""
    with running_container(seed_image, prefix="greeter-seed") as (name, url):
        yield name, url


def health(name):
    return run(["docker", "inspect", "-f", "{{.State.Health.Status}}", name]).stdout.strip()


def exits_within(name, seconds):
    return wait_until(
        lambda: (
            run(["docker", "inspect", "-f", "{{.State.Running}}", name]).stdout.strip() == "false"
        ),
        timeout=seconds,
        interval=0.05,
    )


def test_seed_run_serves_the_form_and_greets(seed_container):
    name, url = seed_container
    assert '<form action="/greet" method="post"' in requests.get(f"{url}/", timeout=10).text
    response = greet(url, "Ada")
    assert "Hello Ada, Welcome to this app for Docker Demonstration." in response.text
    assert wait_until(lambda: health(name) == "healthy", timeout=30)  # the image's HEALTHCHECK


def test_docker_stop_ends_it_in_under_two_seconds(seed_container):
    name, _ = seed_container
    started = time.monotonic()
    run(["docker", "stop", name])
    took = time.monotonic() - started
    assert took < 2, f"docker stop took {took:.1f} s"
    exit_code = run(["docker", "inspect", "-f", "{{.State.ExitCode}}", name]).stdout.strip()
    assert exit_code == "0"  # a clean shutdown, not Docker's SIGKILL (137)


def test_ctrl_c_ends_it_in_under_two_seconds(seed_container):
    # Ctrl+C in `docker run -it` sends SIGINT to PID 1, which is gunicorn.
    name, _ = seed_container
    run(["docker", "kill", "--signal", "INT", name])
    assert exits_within(name, 2)


def documented_curl_client():
    """The two curl lines of docs/docker-workflow.md, "A client other than a browser"."""
    text = (ROOT / "docs/docker-workflow.md").read_text()
    section = text[text.index("## A client other than a browser") :]
    return found(r"(?s)```bash\n(.*?)```", section).group(1)


def test_the_documented_curl_client_is_greeted(seed_container, tmp_path):
    _, url = seed_container
    bare = run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-d", "username=Bob",
                f"{url}/greet"]).stdout  # fmt: skip
    assert bare == "403"  # the seed's own client
    script = documented_curl_client().replace("http://localhost:5000", url)
    greeted = run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path).stdout
    assert "Hello Bob, Welcome to this app for Docker Demonstration." in greeted

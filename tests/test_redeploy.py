"""Redeploys of the production stack under load: scripts/deploy and its
--rollback, run as documented (compose's COMPOSE_FILE and COMPOSE_PROJECT_NAME),
and a Greeter that crashes. Browsers load the form and post greetings over
verified TLS throughout; every failed request is counted."""

import os
import subprocess
import time

import pytest

from bench.measure import found
from tests.conftest import (
    ROOT,
    HttpsStack,
    Stack,
    caddy_on_loopback,
    inspect,
    kill_main_process,
    run,
    wait_until,
)
from tests.load import GreetingLoad

pytestmark = pytest.mark.container

ROUNDS = 3


def documented_compose_file():
    """docs/deployment.md's commands: COMPOSE_FILE's value, after checking that
    the two deploy commands the tests run are the ones it gives."""
    text = (ROOT / "docs/deployment.md").read_text()
    assert "\nGREETER_VERSION=1.2.4 scripts/deploy\nscripts/deploy --rollback\n" in text
    return found(r"\nexport COMPOSE_FILE=(\S+)\n", text).group(1)


@pytest.fixture(scope="module")
def production(docker, tmp_path_factory):
    """A production stack of its own, with an image name of its own (so that
    its rollouts never retag the image the other tests run)."""
    folder = tmp_path_factory.mktemp("redeploy")
    project = f"greeter-redeploy-{os.getpid()}"
    image = f"{project}:latest"
    (folder / "image.yml").write_text(f"services:\n  web:\n    image: {image}\n")
    files = (ROOT / "docker-compose.production.yml", folder / "image.yml")
    http_port, https_port, published = caddy_on_loopback()
    env = {
        **os.environ,
        **published,
        "DJANGO_SECRET_KEY": "test-key-" + "r3d3p1" * 9,
        "GREETER_VERSION": "1.0.0",
        # What scripts/deploy reads, as docker compose does: the documented
        # files, and the test's image name after them.
        "COMPOSE_FILE": f"{documented_compose_file()}{os.pathsep}{folder / 'image.yml'}",
        "COMPOSE_PROJECT_NAME": project,
    }
    root = folder / "root.crt"
    stack = HttpsStack(Stack(project, 0, env, 0.0, files), http_port, https_port, root)
    try:
        stack.compose("build", "web")
        stack.start()
        yield stack
    finally:
        stack.compose("down", "--volumes", "--remove-orphans", "--timeout", "5", check=False)
        run(["docker", "rmi", image, f"greeter-previous:{project}"], check=False)


def deploy(stack, *args, version=None, **variables):
    """scripts/deploy as a user runs it, in the stack's environment and `variables`."""
    env = {**stack.stack.env, **({"GREETER_VERSION": version} if version else {}), **variables}
    return subprocess.run(
        [str(ROOT / "scripts/deploy"), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def version(stack):
    return stack.session().get(f"{stack.url}/healthz", timeout=10).json()["version"]


def under_load(stack, change, *args, **kwargs):
    """Runs `change(*args, **kwargs)` while browsers greet through Caddy, from a steady load
    before it to a steady load after it. Returns (its result, the load's)."""
    load = GreetingLoad(stack.url, stack.root)
    with load:
        assert wait_until(lambda: load.result.ok > 40, timeout=30)
        outcome = change(*args, **kwargs)
        load.result.change_ended = time.monotonic() - load.started
        served_by_then = load.result.ok
        assert wait_until(lambda: load.result.ok > served_by_then + 40, timeout=60)
    return outcome, load.result


def report(what, before, after, load):
    slowest = max(load.latencies)
    print(f"\n{what} {before} -> {after}: {load.ok} requests ok, slowest {slowest:.2f} s, "
          f"failed {len(load.failures)}: {load.failures}")  # fmt: skip


def test_before_any_deploy_a_rollback_says_there_is_nothing_to_roll_back(production):
    nothing = deploy(production, "--rollback")
    assert nothing.returncode == 1
    assert "nothing to roll back to: no earlier deploy of project" in nothing.stderr
    assert version(production) == "1.0.0"


def test_deploy_names_what_it_needs_and_what_it_takes(production):
    alone = deploy(production, COMPOSE_PROJECT_NAME="greeter-redeploy-none")
    assert alone.returncode == 1
    assert "web is not running in project greeter-redeploy-none" in alone.stderr
    wrong = deploy(production, "--roll-back")
    assert wrong.returncode == 2
    assert "usage: scripts/deploy [--rollback]" in wrong.stderr


def test_a_rollout_under_load_fails_no_request(production):
    for round in range(1, ROUNDS + 1):
        before, new = version(production), f"1.1.{round}"
        deployed, load = under_load(production, deploy, production, version=new)
        assert deployed.returncode == 0, deployed.stderr
        after = version(production)
        report("rollout", before, after, load)
        assert after == new != before
        assert load.failures == []


def test_a_rollback_under_load_fails_no_request(production):
    for round in range(1, ROUNDS + 1):
        before, new = version(production), f"1.2.{round}"
        assert deploy(production, version=new).returncode == 0
        assert version(production) == new
        rolled_back, load = under_load(production, deploy, production, "--rollback")
        assert rolled_back.returncode == 0, rolled_back.stderr
        after = version(production)
        report("rollback", new, after, load)
        assert after == before
        assert load.failures == []


def test_a_second_rollback_undoes_the_first(production):
    before = version(production)
    assert deploy(production, version="1.3.0").returncode == 0
    assert deploy(production, "--rollback").returncode == 0
    assert version(production) == before
    assert deploy(production, "--rollback").returncode == 0
    assert version(production) == "1.3.0"


def test_a_crash_fails_only_the_requests_greeter_was_serving(production):
    """kill -9 of gunicorn, PID 1: Docker restarts the container and Caddy holds the
    requests sent meanwhile. The requests Greeter was serving die with it, at
    most one per browser: a POST gets a 502 (Caddy never resends it: it may
    have been acted on), and so may a GET whose answer had begun; Caddy resends
    a GET that had no answer yet."""
    for _ in range(ROUNDS):
        before = version(production)
        container = production.container_id("web")
        restarts = int(inspect(container, "{{.RestartCount}}"))
        _, load = under_load(production, kill_main_process, container)
        report("crash", before, version(production), load)
        assert int(inspect(container, "{{.RestartCount}}")) == restarts + 1
        assert version(production) == before
        assert len(load.failures) <= GreetingLoad.CLIENTS
        # In flight at the kill (its workers die a moment after PID 1): none
        # sent later failed.
        assert all(at < load.change_ended + 1.0 for at, _ in load.failures), load.failures

"""Redeploys of the production stack under load, as docs/deployment.md gives
them: `scripts/deploy` and its --rollback, in a folder whose .env holds a stale
GREETER_VERSION (as .env.example invites), and a Greeter that crashes.
Browsers load the form and post greetings over verified TLS throughout; every
failed request is counted."""

import re
import subprocess
import time

import pytest

from tests.support import (
    ROOT,
    Stack,
    Visitors,
    copy_project,
    documented,
    inspect,
    kill_main_process,
    run,
    wait_until,
)

ROUNDS = 2


@pytest.fixture(scope="module")
def production(image, tmp_path_factory):
    """A production stack of its own, in a copy of the project (its image is
    named after its project, so its rollouts retag no other stack's)."""
    folder = copy_project(tmp_path_factory.mktemp("redeploy"))
    (folder / ".env").write_text("GREETER_VERSION=1.0.0\n")  # stale, as a copied .env.example's
    files = documented("docs/deployment.md", r"^echo COMPOSE_FILE=(\S+) >> \.env$").split(":")
    stack = Stack("greeter-redeploy", tuple(files), folder)
    try:
        stack.compose("build", "web")
        yield stack.up()
    finally:
        stack.down()
        run(["docker", "rmi", f"greeter-previous:{stack.name}"], check=False)


def deploy(stack, *args, version=None, **variables):
    """scripts/deploy as a user runs it: only COMPOSE_PROJECT_NAME says which
    stack (the files come from the running container), and `variables`."""
    env = {k: v for k, v in stack.env.items() if k != "COMPOSE_FILE"}
    env.update({"GREETER_VERSION": version} if version else {}, **variables)
    return subprocess.run(
        [str(ROOT / "scripts/deploy"), *args],
        cwd=stack.folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def version(stack):
    return stack.session().get(f"{stack.https_url}/healthz", timeout=10).json()["version"]


def under_load(stack, change, *args, **kwargs):
    """Runs `change(*args, **kwargs)` while browsers greet through Caddy, from a
    steady load before it to a steady load after it. Returns (its result, the
    load's outcome, when the change ended in seconds since the load began)."""
    with Visitors(stack.https_url, stack.root) as visitors:
        assert wait_until(lambda: visitors.outcome.ok > 40, timeout=30)
        outcome = change(*args, **kwargs)
        ended = time.monotonic() - visitors.started
        served_by_then = visitors.outcome.ok
        assert wait_until(lambda: visitors.outcome.ok > served_by_then + 40, timeout=60)
    return outcome, visitors.outcome, ended


def report(what, before, after, load):
    print(
        f"\n{what} {before} -> {after}: {load.ok} requests ok ({load.resent} sent again "
        f"after an unanswered close), failed {len(load.failures)}: {load.failures}"
    )


def test_before_any_deploy_a_rollback_says_there_is_nothing_to_roll_back(production):
    nothing = deploy(production, "--rollback")
    assert nothing.returncode == 1
    assert f"nothing to roll back to: no earlier deploy of {production.name}" in nothing.stderr
    assert version(production) == "1.0.0"


def test_deploy_names_what_it_needs_and_what_it_takes(production):
    alone = deploy(production, COMPOSE_PROJECT_NAME="greeter-redeploy-none")
    assert alone.returncode == 1
    assert "web is not running here: start the stack with docker compose up -d" in alone.stderr
    wrong = deploy(production, "--roll-back")
    assert wrong.returncode == 2
    assert "usage: scripts/deploy [--rollback]" in wrong.stderr


def test_a_rollout_under_load_fails_no_request(production):
    for round in range(1, ROUNDS + 1):
        before, new = version(production), f"1.1.{round}"
        deployed, load, _ = under_load(production, deploy, production, version=new)
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
        rolled_back, load, _ = under_load(production, deploy, production, "--rollback")
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
        container = production.container("web")
        restarts = int(inspect(container, "{{.RestartCount}}"))
        _, load, ended = under_load(production, kill_main_process, container)
        report("crash", before, version(production), load)
        assert int(inspect(container, "{{.RestartCount}}")) == restarts + 1
        assert version(production) == before
        assert len(load.failures) <= 4  # one per browser at most
        # In flight at the kill (its workers die a moment after PID 1): none
        # sent later failed.
        assert all(at < ended + 1.0 for at, _ in load.failures), load.failures


def release(production, name, dockerfile):
    """An image built FROM what web runs now, with `dockerfile`'s lines added."""
    current = inspect(production.container("web"), "{{.Image}}")
    base, tag = (f"{production.name}-{name}:{kind}" for kind in ("base", "release"))
    run(["docker", "tag", current, base])  # BuildKit takes a FROM by name, not by ID
    run(["docker", "build", "-q", "-t", tag, "-"], input=f"FROM {base}\n{dockerfile}\n")
    run(["docker", "rmi", base])
    return tag


def web_containers(production):
    return production.compose("ps", "--quiet", "web").stdout.split()


@pytest.mark.parametrize(
    ("bad", "dockerfile", "says"),
    [
        # A setting it can't read, the most common bad release: gunicorn stops at start.
        ("crashes-at-start", "ENV WEB_CONCURRENCY=four", "WEB_CONCURRENCY='four' is not"),
        # It starts and answers, but never /readyz (a server that has no such page).
        ("never-ready", 'CMD ["python", "-m", "http.server", "5000"]', "GET /readyz"),
    ],
)
def test_a_release_that_never_gets_ready_takes_no_traffic_and_is_removed(
    production, bad, dockerfile, says
):
    before = version(production)
    running = web_containers(production)
    image = release(production, bad, dockerfile)
    deployed, load, _ = under_load(
        production, deploy, production, GREETER_IMAGE=image, GREETER_DEPLOY_TIMEOUT="10"
    )
    report(f"bad release ({bad})", before, version(production), load)
    assert deployed.returncode == 1
    assert says in deployed.stderr  # its own last lines
    assert "web still runs the image it ran before" in deployed.stderr
    assert load.failures == []
    assert version(production) == before
    assert web_containers(production) == running
    run(["docker", "rmi", image], check=False)


def test_an_image_from_a_registry_by_digest_deploys_and_its_rollback_is_refused(
    production, registry
):
    before = version(production)
    image = release(
        production, "from-registry", "USER 0\nRUN echo 1.5.0 > VERSION\nUSER 10001:10001"
    )
    remote = f"{registry}/greeter-user/greeter:1.5.0"
    run(["docker", "tag", image, remote])
    pushed = run(["docker", "push", remote]).stdout
    digest = re.search(r"digest: (sha256:[0-9a-f]{64})", pushed)[1]
    by_digest = f"{registry}/greeter-user/greeter@{digest}"
    run(["docker", "rmi", image, remote])  # only the registry has it now
    deployed, load, _ = under_load(production, deploy, production, GREETER_IMAGE=by_digest)
    report("registry image by digest", before, version(production), load)
    assert deployed.returncode == 0, deployed.stderr
    assert load.failures == []
    assert version(production) == "1.5.0"
    refused = deploy(production, "--rollback", GREETER_IMAGE=by_digest)
    assert refused.returncode == 1
    assert "roll back by deploying the release before it, GREETER_IMAGE=" in refused.stderr
    assert deploy(production).returncode == 0  # back to the image compose builds
    assert version(production) != "1.5.0"

"""Redeploys of the production stack under load: scripts/deploy and its
--rollback, run as documented (after the documented `up`, COMPOSE_PROJECT_NAME alone),
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


def documented_compose_files():
    """docs/deployment.md's commands: the files its `up` names, after checking
    that the two deploy commands the tests run follow it as it gives them."""
    text = (ROOT / "docs/deployment.md").read_text()
    up = found(r"\ndocker compose((?: -f \S+)+) up -d\n(GREETER_VERSION=1\.2\.4 scripts/deploy)\n"
               r"scripts/deploy --rollback\n", text).group(1)  # fmt: skip
    return [ROOT / name for name in up.split()[1::2]]


@pytest.fixture(scope="module")
def production(docker, tmp_path_factory):
    """A production stack of its own, with an image name of its own (so that
    its rollouts never retag the image the other tests run)."""
    folder = tmp_path_factory.mktemp("redeploy")
    project = f"greeter-redeploy-{os.getpid()}"
    image = f"{project}:latest"
    # GREETER_IMAGE still names a registry's image, as docker-compose.yml lets it.
    (folder / "image.yml").write_text(
        f"services:\n  web:\n    image: ${{GREETER_IMAGE:-{image}}}\n"
    )
    files = (*documented_compose_files()[1:], folder / "image.yml")  # after docker-compose.yml
    http_port, https_port, published = caddy_on_loopback()
    env = {
        **os.environ,
        **published,
        "DJANGO_SECRET_KEY": "test-key-" + "r3d3p1" * 9,
        "GREETER_VERSION": "1.0.0",
        # Where scripts/deploy finds the stack, as compose does (it takes the
        # files from the running container).
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
    print(f"\n{what} {before} -> {after}: {load.ok} requests ok ({load.retried} sent again "
          f"after an unanswered close), slowest {slowest:.2f} s, "
          f"failed {len(load.failures)}: {load.failures}")  # fmt: skip


def test_before_any_deploy_a_rollback_says_there_is_nothing_to_roll_back(production):
    nothing = deploy(production, "--rollback")
    assert nothing.returncode == 1
    assert "nothing to roll back to: no earlier deploy of greeter-redeploy-" in nothing.stderr
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


def release(production, name, dockerfile):
    """An image built FROM what web runs now, with `dockerfile`'s lines added."""
    current = inspect(production.container_id("web"), "{{.Image}}")
    base, tag = (f"{production.stack.project}-{name}:{kind}" for kind in ("base", "release"))
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
        # It starts and answers, but not /healthz (a server that has no such page).
        ("never-healthy", 'CMD ["python", "-m", "http.server", "5000"]', "GET /healthz"),
    ],
)
def test_a_release_that_never_gets_healthy_takes_no_traffic_and_is_removed(
    production, bad, dockerfile, says
):
    before = version(production)
    running = web_containers(production)
    image = release(production, bad, dockerfile)
    deployed, load = under_load(production, deploy, production, GREETER_IMAGE=image,
                                GREETER_DEPLOY_TIMEOUT="25")  # fmt: skip
    report(f"bad release ({bad})", before, version(production), load)
    assert deployed.returncode == 1
    assert "deploy: the new container never got healthy" in deployed.stderr
    assert says in deployed.stderr  # its last log lines
    assert "removed it: web still runs the image it ran before" in deployed.stderr
    assert load.failures == []
    assert version(production) == before
    assert web_containers(production) == running
    run(["docker", "rmi", image], check=False)


def test_deploy_without_compose_file_uses_the_files_the_stack_was_started_with(production):
    """README's `up` with -f files, then scripts/deploy in a shell that exports
    nothing: docker-compose.yml alone would take web off Caddy's network."""
    networks = "{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}"
    env = {k: v for k, v in production.stack.env.items() if k != "COMPOSE_FILE"}
    result = subprocess.run(
        [str(ROOT / "scripts/deploy")], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**env, "GREETER_VERSION": "1.4.0"}, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert version(production) == "1.4.0"
    web = production.container_id("web")
    assert inspect(web, networks).split() == [f"{production.stack.project}_edge"]
    assert inspect(web, '{{index .Config.Labels "com.docker.compose.project.config_files"}}') == (
        ",".join(str(path) for path in production.stack.compose_files())
    )


def test_an_image_from_a_registry_by_digest_deploys_and_its_rollback_is_refused(
    production, registry
):
    before = version(production)
    image = release(production, "from-registry", "ENV GREETER_VERSION=1.5.0")
    remote = f"{registry}/greeter-user/greeter:1.5.0"
    run(["docker", "tag", image, remote])
    pushed = run(["docker", "push", remote]).stdout
    digest = found(r"digest: (sha256:[0-9a-f]{64})", pushed).group(1)
    by_digest = f"{registry}/greeter-user/greeter@{digest}"
    run(["docker", "rmi", image, remote])  # only the registry has it now
    deployed, load = under_load(production, deploy, production, GREETER_IMAGE=by_digest)
    report("registry image by digest", before, version(production), load)
    assert deployed.returncode == 0, deployed.stderr
    assert load.failures == []
    assert version(production) == "1.5.0"
    refused = deploy(production, "--rollback", GREETER_IMAGE=by_digest)
    assert refused.returncode == 1
    assert "roll back by deploying the release before it, GREETER_IMAGE=" in refused.stderr
    assert deploy(production).returncode == 0  # back to the image compose builds
    assert version(production) != "1.5.0"

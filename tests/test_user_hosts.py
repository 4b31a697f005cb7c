"""The hosts Greeter's users have, simulated here (docs/testing.md says what
can't be): a Windows checkout, a 1-CPU host, IPv6, gunicorn on both families."""

import json
import os
import socket

import pytest
import requests

from bench.measure import copy_working_tree
from tests.conftest import (
    ROOT,
    HttpsStack,
    Stack,
    caddy_on_loopback,
    free_port,
    run,
    running_container,
    wait_until,
)
from tests.raw_http import raw_request, tls_get

pytestmark = pytest.mark.container

COMPOSE_FILES = ("docker-compose.yml", "docker-compose.production.yml", "docker-compose.dev.yml")


def windows_checkout(folder):
    """The working tree as Git for Windows checks it out: committed to a scratch
    repository, then cloned with core.autocrlf=true (its installer's default)."""
    source, checkout = folder / "source", folder / "checkout"
    copy_working_tree(source)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com"]
    run([*git, "init", "-q"], cwd=source)
    run([*git, "add", "-A"], cwd=source)
    run([*git, "commit", "-q", "-m", "the working tree"], cwd=source)
    run(["git", "-c", "core.autocrlf=true", "clone", "-q", str(source), str(checkout)])
    run(["git", "-C", str(checkout), "config", "core.autocrlf", "true"])
    return checkout


def test_a_windows_checkout_runs_the_compose_stack(docker, tmp_path):
    checkout = windows_checkout(tmp_path)
    entrypoint = (checkout / "docker-entrypoint.sh").read_bytes()
    assert b"\r\n" not in entrypoint
    image = f"greeter-windows-checkout:{free_port()}"  # never greeter:latest
    override = tmp_path / "image.yml"
    override.write_text(json.dumps({"services": {"web": {"image": image}}}))
    port = free_port()
    env = {"GREETER_PORT": str(port), "GREETER_BIND": "127.0.0.1"}
    stack = Stack(f"greeter-crlf-{port}", port, {**os.environ, **env}, 0.0, (override,), checkout)
    try:
        stack.build_up_and_greet()
    finally:
        stack.compose("down", "--timeout", "5", check=False)
        run(["docker", "rmi", image], check=False)


def rendered(*files):
    """`docker compose -f … config` of the repository's files, as JSON, with none
    of this shell's variables but a key (which the production file requires)."""
    command = ["docker", "compose", *(arg for name in files for arg in ("-f", name)), "config"]
    env = {"PATH": os.environ["PATH"], "DJANGO_SECRET_KEY": "k" * 50}
    return json.loads(run([*command, "--format", "json"], cwd=ROOT, env=env).stdout)


@pytest.mark.parametrize("files", [COMPOSE_FILES[:1], COMPOSE_FILES[:2], COMPOSE_FILES[::2]])
def test_no_compose_file_sets_a_cpu_limit_a_one_cpu_host_refuses(docker, files):
    for name, service in rendered(*files)["services"].items():
        assert float(service.get("cpus", 0)) <= 1, f"{name} asks for {service['cpus']} CPUs"


def test_gunicorn_listens_on_ipv6_and_ipv4(stack):
    """An IPv6-only cluster's pod (IPv6 turned on in the container) answers on
    both families; where the container has IPv6 off it still answers IPv4."""
    probe = (
        "import socket, sys\n"
        "for host in sys.argv[1:]:\n"
        "    socket.create_connection((host, 5000), timeout=5).close()\n"
        "    print(host, 'answers')\n"
    )
    on = ["--sysctl", "net.ipv6.conf.all.disable_ipv6=0"]
    with running_container("greeter:latest", docker_args=on) as (name, _):
        answered = run(["docker", "exec", name, "python", "-c", probe, "::1", "127.0.0.1"])
        assert answered.stdout.split("\n")[:2] == ["::1 answers", "127.0.0.1 answers"]
    off = ["--sysctl", "net.ipv6.conf.all.disable_ipv6=1"]
    with running_container("greeter:latest", docker_args=off) as (name, url):
        assert requests.get(f"{url}/", timeout=10).status_code == 200


def test_the_production_stack_publishes_on_both_families_and_answers_over_ipv6(stack, tmp_path):
    """Without GREETER_HTTP_BIND Caddy's ports have no host address, so Docker
    publishes them on IPv4 and IPv6 (not tried here: tests publish on loopback
    alone); published on [::1], it answers over IPv6, HTTP and HTTPS."""
    caddy = rendered(*COMPOSE_FILES[:2])["services"]["caddy"]
    assert all("host_ip" not in port for port in caddy["ports"])

    http_port, https_port, published = caddy_on_loopback("[::1]")
    key = {"DJANGO_SECRET_KEY": "test-key-" + "v6v6v6" * 9}
    files = (ROOT / "docker-compose.production.yml",)
    inner = Stack(f"greeter-ipv6-{https_port}", 0, {**stack.env, **published, **key}, 0.0, files)
    https = HttpsStack(inner, http_port, https_port, tmp_path / "root.crt")
    try:
        inner.up()
        https.fetch_root()
        assert wait_until(lambda: tls_get("::1", https_port, https.root).status == 200)
        page = tls_get("::1", https_port, https.root)
        assert "Hello! What is your name?" in page.text
        redirect = raw_request(http_port, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", host="::1")
        assert redirect.status == 308
        with pytest.raises(ConnectionRefusedError):  # published on IPv6 alone
            socket.create_connection(("127.0.0.1", https_port), timeout=5).close()
    finally:
        inner.compose("down", "--volumes", "--timeout", "5", check=False)

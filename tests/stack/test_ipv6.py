"""An IPv6 visitor, simulated: a network namespace of this machine with an IPv6
address of its own, on a veth pair, as another host on the server's network
(this host has no IPv6 but loopback, and loopback goes through Docker's proxy).
Caddy is published on the host's end alone."""

import json
import os

import pytest

from tests.support import Stack, run, wait_until

HOST, VISITOR = "fd00:77::1", "fd00:77::2"


@pytest.fixture
def visitor_namespace(root_rights, docker):
    name, link = f"greeter-visitor-{os.getpid()}", f"gv{os.getpid() % 100000}"
    ip = [*root_rights, "ip"]
    run([*ip, "netns", "add", name])
    try:
        run([*ip, "link", "add", link, "type", "veth", "peer", "name", f"{link}p", "netns", name])
        run([*ip, "address", "add", f"{HOST}/64", "dev", link, "nodad"])
        run([*ip, "link", "set", link, "up"])
        run([*ip, "-n", name, "address", "add", f"{VISITOR}/64", "dev", f"{link}p", "nodad"])
        run([*ip, "-n", name, "link", "set", f"{link}p", "up"])
        yield [*ip, "netns", "exec", name]
    finally:
        run([*ip, "link", "delete", link], check=False)
        run([*ip, "netns", "delete", name], check=False)


def test_an_ipv6_visitor_keeps_its_address_at_caddy_and_at_greeter(visitor_namespace, image):
    stack = Stack(
        "greeter-ipv6",
        ("docker-compose.yml", "docker-compose.production.yml"),
        variables={"GREETER_HTTP_BIND": f"[{HOST}]"},
    )
    try:
        stack.up()
        curl = [
            *visitor_namespace,
            "curl",
            "-s",
            "--cacert",
            str(stack.root),
            "--resolve",
            f"localhost:{stack.https_port}:[{HOST}]",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
        ]
        url = f"https://localhost:{stack.https_port}/?from-ipv6"
        assert wait_until(lambda: run([*curl, url], check=False).stdout == "200", timeout=20)
        redirect = run(
            [
                *visitor_namespace,
                "curl",
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{redirect_url}",
                f"http://[{HOST}]:{stack.http_port}/",
                "-H",
                "Host: localhost",
            ]
        ).stdout
        assert redirect == f"https://localhost:{stack.https_port}/"
        [seen] = [
            json.loads(line)["request"]
            for line in stack.logs("caddy").splitlines()
            if "from-ipv6" in line
        ][:1]
        assert seen["remote_ip"] == VISITOR  # not the network's gateway
        [access] = [line for line in stack.logs().splitlines() if "/?from-ipv6" in line][:1]
        assert access.startswith(f"{VISITOR} - - [")
    finally:
        stack.down()

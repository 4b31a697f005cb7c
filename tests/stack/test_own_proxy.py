"""A team's own TLS proxy in front of the image, as docs/deployment.md says:
DJANGO_BEHIND_HTTPS_PROXY=true and the proxy's address or network in
FORWARDED_ALLOW_IPS. A Caddy of the test's, on a network of its own with IPv4
and IPv6, reaches Greeter by one family or the other; the image binds [::],
where an IPv4 proxy arrives as ::ffff:a.b.c.d."""

import ipaddress
import json
import os

import pytest
import requests

from tests.support import CADDY_ROOT, TEST_KEY, docker_rm, free_port, inspect, run, wait_until


@pytest.fixture(scope="module")
def network(image):
    name = f"greeter-own-proxy-{os.getpid()}"
    run(["docker", "network", "create", "--ipv6", name])
    config = json.loads(inspect(name, "{{json .IPAM.Config}}"))
    yield name, {":" in entry["Subnet"]: ipaddress.ip_network(entry["Subnet"]) for entry in config}
    run(["docker", "network", "rm", name], check=False)


@pytest.mark.parametrize("trusted", ["an IPv4 address", "an IPv4 network", "an IPv6 network"])
def test_behind_its_own_tls_proxy_greeter_knows_https_and_the_client(
    network, image, tmp_path, trusted
):
    name, subnets = network
    ipv6 = "IPv6" in trusted
    suffix = f"{os.getpid()}-{trusted.split()[-1]}-{ipv6}"
    greeter, proxy, port = f"greeter-behind-{suffix}", f"proxy-{suffix}", free_port()
    caddyfile = tmp_path / "Caddyfile"
    caddyfile.write_text("localhost {\n\trespond starting\n}\n")
    try:
        run(
            [
                "docker",
                "run",
                "-d",
                f"--name={proxy}",
                f"--network={name}",
                f"--publish=127.0.0.1:{port}:443",
                f"--volume={tmp_path}:/etc/caddy:ro",
                os.environ.get("CADDY_IMAGE", "caddy:2.11"),
            ]
        )
        proxy_ip = json.loads(inspect(proxy, "{{json .NetworkSettings.Networks}}"))[name][
            "IPAddress"
        ]
        allowed = proxy_ip if trusted == "an IPv4 address" else str(subnets[ipv6])
        run(
            [
                "docker",
                "run",
                "-d",
                f"--name={greeter}",
                f"--network={name}",
                "-e",
                "DJANGO_BEHIND_HTTPS_PROXY=true",
                "-e",
                f"DJANGO_SECRET_KEY={TEST_KEY}",
                "-e",
                f"FORWARDED_ALLOW_IPS={allowed}",
                image,
            ]
        )
        networks = json.loads(inspect(greeter, "{{json .NetworkSettings.Networks}}"))[name]
        upstream = (
            f"[{networks['GlobalIPv6Address']}]:5000" if ipv6 else f"{networks['IPAddress']}:5000"
        )
        caddyfile.write_text(f"localhost {{\n\treverse_proxy {upstream}\n}}\n")
        run(["docker", "exec", proxy, "caddy", "reload", "--config", "/etc/caddy/Caddyfile"])
        root = tmp_path / "root.crt"
        assert wait_until(
            lambda: root.write_text(run(["docker", "exec", proxy, "cat", CADDY_ROOT]).stdout), 30
        )
        url = f"https://localhost:{port}/?from-the-client"
        assert wait_until(lambda: requests.get(url, verify=str(root), timeout=5).ok, 30)
        page = requests.get(url, verify=str(root), timeout=5, allow_redirects=False)
        assert page.status_code == 200  # not redirected to https again, and again
        assert page.headers["Strict-Transport-Security"] == "max-age=3600"
        lines = run(["docker", "logs", greeter]).stdout.splitlines()
        gateway = json.loads(inspect(proxy, "{{json .NetworkSettings.Networks}}"))[name]["Gateway"]
        # The client as the proxy saw it: Docker's gateway, since the test calls from loopback.
        assert [line.split()[0] for line in lines if "from-the-client" in line][-1] == gateway
    finally:
        docker_rm(greeter, proxy)

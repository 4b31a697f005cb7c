"""Production over HTTPS: docker-compose.production.yml puts Caddy in front of
Greeter. Every check verifies Caddy's certificate against its local root
(GREETER_DOMAIN=localhost); certificate checking is never switched off."""

import hashlib
import ipaddress
import json
import re
import shlex
import socket
import ssl
import subprocess
import time
import uuid

import pytest

from bench.measure import copy_working_tree, found
from tests.conftest import (
    ROOT,
    HttpsStack,
    Stack,
    caddy_on_loopback,
    csrf_token,
    greet,
    inspect,
    post_form,
    run,
    wait_until,
)
from tests.load import BackgroundLoad
from tests.raw_http import raw_request

pytestmark = pytest.mark.container


def test_the_form_csrf_and_a_greeting_work_over_https(https_stack):
    session = https_stack.session()
    response = greet(https_stack.url, "Ada", session)
    assert response.status_code == 200
    assert "Hello Ada, Welcome" in response.text
    assert response.url.startswith("https://localhost:")


def test_without_the_token_the_post_is_refused_over_https(https_stack):
    session = https_stack.session()
    session.get(f"{https_stack.url}/", timeout=10)
    refused = session.post(
        f"{https_stack.url}/greet",
        data={"username": "Ada"},
        headers={"Origin": https_stack.url, "Referer": f"{https_stack.url}/"},
        timeout=10,
    )
    assert refused.status_code == 403


def test_cookies_are_secure(https_stack):
    session = https_stack.session()
    form = session.get(f"{https_stack.url}/", timeout=10)
    assert re.search(r"csrftoken=[^;]+;.*\bSecure\b", form.headers["Set-Cookie"])
    switched = session.post(
        f"{https_stack.url}/i18n/setlang/",
        data={"language": "de", "next": "/", "csrfmiddlewaretoken": csrf_token(form.text)},
        headers={"Origin": https_stack.url},
        allow_redirects=False,
        timeout=10,
    )
    assert re.search(r"django_language=de;.*\bSecure\b", switched.headers["Set-Cookie"])


def test_hsts_is_sent_over_https_only_and_from_one_place(https_stack):
    over_https = https_stack.session().get(f"{https_stack.url}/", timeout=10)
    assert over_https.headers["Strict-Transport-Security"] == "max-age=3600"  # one header
    over_http = https_stack.session().get(
        f"{https_stack.http_url}/", allow_redirects=False, timeout=10
    )
    assert "Strict-Transport-Security" not in over_http.headers


def test_http_answers_with_a_permanent_redirect_to_https(https_stack):
    response = https_stack.session().get(
        f"{https_stack.http_url}/greet?x=1", allow_redirects=False, timeout=10
    )
    assert response.status_code == 308
    assert response.headers["Location"] == "https://localhost/greet?x=1"


def test_http_redirects_the_sites_own_names_only(https_stack):
    """A forged Host (or a bare IP) gets no redirect to itself: 421, nothing else."""
    for host in ("evil.example", "127.0.0.1", "203.0.113.7"):
        request = f"GET /x HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
        refused = raw_request(https_stack.http_port, request)
        assert refused.status == 421, host
        assert "location" not in refused.headers, host
    own = raw_request(https_stack.http_port, b"GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert own.status == 308
    assert own.headers["location"] == "https://localhost/x"


def test_no_answer_through_caddy_names_the_upstream_server(https_stack):
    """Pages, errors, /healthz and odd methods: gunicorn's Server header stays
    between Caddy and Greeter."""
    session = https_stack.session()
    answers = [
        session.request(method, f"{https_stack.url}{path}", allow_redirects=False, timeout=10)
        for method, path in [("GET", "/"), ("GET", "/no-such-page"), ("GET", "/healthz"),
                             ("POST", "/greet"), ("PUT", "/"), ("OPTIONS", "/"),
                             ("BREW", "/"), ("HEAD", "/")]
    ]  # fmt: skip
    assert {answer.status_code for answer in answers} >= {200, 403, 404, 405}
    for answer in answers:
        assert "gunicorn" not in answer.headers.get("Server", "").lower(), answer.request.method


def test_pages_through_caddy_deny_the_browser_features_greeter_does_not_use(https_stack):
    policy = https_stack.session().get(f"{https_stack.url}/", timeout=10).headers
    assert "camera=()" in policy["Permissions-Policy"]


def test_http2_is_negotiated(https_stack):
    context = ssl.create_default_context(cafile=str(https_stack.root))
    context.set_alpn_protocols(["h2", "http/1.1"])
    raw = socket.create_connection(("127.0.0.1", https_stack.https_port), timeout=10)
    with context.wrap_socket(raw, server_hostname="localhost") as tls:
        assert tls.selected_alpn_protocol() == "h2"
    alt_svc = https_stack.session().get(f"{https_stack.url}/", timeout=10).headers["Alt-Svc"]
    assert alt_svc.startswith('h3=":443"')  # HTTP/3 offered on the published UDP port


def test_the_health_check_still_works_behind_caddy(https_stack):
    web = https_stack.container_id("web")
    assert inspect(web, "{{.State.Health.Status}}") == "healthy"


def ports_of(https_stack, service):
    """A service's ports, each with its host bindings (None: not published)."""
    return json.loads(inspect(https_stack.container_id(service), "{{json .NetworkSettings.Ports}}"))


def test_greeters_own_port_is_not_published(https_stack):
    ports = ports_of(https_stack, "web")
    assert all(not bindings for bindings in ports.values()), ports
    caddy = https_stack.container_id("caddy")
    published = run(["docker", "port", caddy]).stdout
    assert f"127.0.0.1:{https_stack.https_port}" in published


def access_lines(https_stack, service, marker):
    logs = https_stack.compose("logs", "--no-log-prefix", service).stdout
    return [line for line in logs.splitlines() if marker in line]


def assert_spoofed_forwarded_headers_change_nothing(https_stack):
    """Caddy replaces them; the real client is in its log alone."""
    marker = uuid.uuid4().hex
    response = https_stack.session().get(
        f"{https_stack.url}/?spoof={marker}",
        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "http"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 200  # not redirected: Greeter still knows it is HTTPS
    assert "Secure" in response.headers["Set-Cookie"]
    assert wait_until(lambda: access_lines(https_stack, "caddy", marker), timeout=5)
    [caddy_line] = access_lines(https_stack, "caddy", marker)
    request = json.loads(caddy_line)["request"]
    subnet = run(["docker", "network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}",
                  f"{https_stack.stack.project}_edge"]).stdout.strip()  # fmt: skip
    gateway = str(ipaddress.ip_network(subnet)[1])  # Docker's proxy for 127.0.0.1 ports
    assert request["client_ip"] == request["remote_ip"]
    assert request["client_ip"] in {"127.0.0.1", gateway}  # this machine, through Docker
    assert wait_until(lambda: access_lines(https_stack, "web", marker), timeout=5)
    [greeter_line] = access_lines(https_stack, "web", marker)
    assert "203.0.113.7" not in greeter_line
    # The client's address is in Caddy's log alone; Greeter's shows Caddy's.
    assert not greeter_line.startswith(request["client_ip"] + " ")


def test_spoofed_forwarded_headers_change_nothing_and_the_log_shows_the_real_client(https_stack):
    assert_spoofed_forwarded_headers_change_nothing(https_stack)


def test_a_second_production_stack_runs_beside_the_first_with_the_same_proxy_trust(
    https_stack, tmp_path
):
    """Staging beside production, or a second site from the template: another
    folder, other ports, its own network (no fixed subnet to overlap)."""
    copy_working_tree(tmp_path)
    http_port, https_port, published = caddy_on_loopback()
    files = (tmp_path / "docker-compose.production.yml",)
    env = {**https_stack.stack.env, **published}
    inner = Stack(f"greeter-second-{https_port}", 0, env, 0.0, files, tmp_path)
    second = HttpsStack(inner, http_port, https_port, tmp_path / "root.crt")
    try:
        second.start()
        for each in (https_stack, second):
            assert_spoofed_forwarded_headers_change_nothing(each)
            assert greet(each.url, "Ada", each.session()).status_code == 200
    finally:
        inner.compose("down", "--volumes", "--timeout", "5", check=False)


def test_deploy_check_is_clean_inside_the_running_container(https_stack):
    result = https_stack.stack.deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# Inside Greeter's container: one keep-alive connection to gunicorn, a request,
# a pause past gunicorn's 2 s for direct clients, and a second request on it.
KEPT_ALIVE = """
import http.client, sys, time
connection = http.client.HTTPConnection("127.0.0.1", 5000, timeout=10)
statuses = []
for pause in (0, float(sys.argv[1])):
    time.sleep(pause)
    try:
        connection.request("GET", "/healthz", headers={"Host": "localhost"})
        response = connection.getresponse()
        response.read()  # the whole answer, so the next one starts clean
        statuses.append(str(response.status))
    except (http.client.RemoteDisconnected, ConnectionError):
        statuses.append("closed")
    if pause == 0:
        socket_used = connection.sock
print(*statuses, "same" if connection.sock is socket_used else "reconnected")
"""
# gunicorn's keep-alive as the running container's configuration sets it.
KEEPALIVE = "import runpy; print(runpy.run_path('gunicorn.conf.py')['keepalive'])"


def test_a_post_after_the_proxys_idle_timeout_is_answered(https_stack):
    """Caddy drops an idle upstream connection before gunicorn does, so it never
    sends a POST down a connection gunicorn has just closed (a 502 it can't retry)."""
    caddyfile = (ROOT / "deploy/caddy/Caddyfile").read_text()
    idle = int(found(r"(?m)^\s*keepalive (\d+)s$", caddyfile).group(1))
    web = ["exec", "-T", "web", "python", "-c"]
    assert int(https_stack.compose(*web, KEEPALIVE).stdout) > idle
    held = https_stack.compose(*web, KEPT_ALIVE, "5").stdout
    # One connection, still open past gunicorn's default 2 s.
    assert held.split() == ["200", "200", "same"], held
    session = https_stack.session()
    first = greet(https_stack.url, "Ada", session)
    assert first.status_code == 200
    token = csrf_token(session.get(f"{https_stack.url}/", timeout=10).text)
    time.sleep(idle + 1)
    data = {"username": "Grace", "csrfmiddlewaretoken": token}
    after_the_pause = post_form(session, https_stack.url, "/greet", data)
    assert after_the_pause.status_code == 200
    assert "Hello Grace, Welcome" in after_the_pause.text


def root_fingerprint(https_stack):
    return hashlib.sha256(https_stack.root.read_bytes()).hexdigest()


def test_the_certificates_and_local_ca_survive_down_and_up(https_stack):
    before = root_fingerprint(https_stack)
    https_stack.compose("down", "--timeout", "5")  # without --volumes, as a redeploy does
    https_stack.start()
    assert root_fingerprint(https_stack) == before
    assert wait_until(lambda: https_stack.session().get(f"{https_stack.url}/", timeout=2).ok)


BACKUP_PREFIX = "docker compose -f docker-compose.yml -f docker-compose.production.yml "


def documented_backup_commands():
    """docs/deployment.md's backup and restore commands, after their compose prefix."""
    text = (ROOT / "docs/deployment.md").read_text()
    lines = [line for line in text.splitlines() if line.startswith(BACKUP_PREFIX + "run ")]
    [backup] = [line for line in lines if line.endswith("> caddy-data.tgz")]
    [restore] = [line for line in lines if line.endswith("< caddy-data.tgz")]

    def arguments(line):
        return shlex.split(line.removeprefix(BACKUP_PREFIX).rsplit(" ", 2)[0])  # no redirection

    return arguments(backup), arguments(restore)


def test_a_backup_of_the_certificates_restores_the_same_ca(https_stack, tmp_path):
    backup, restore = documented_backup_commands()
    before = root_fingerprint(https_stack)
    compose = https_stack.compose_command()
    env = https_stack.stack.env
    with open(tmp_path / "caddy-data.tgz", "wb") as archive:
        subprocess.run([*compose, *backup], stdout=archive, env=env, check=True, timeout=120)
    assert (tmp_path / "caddy-data.tgz").stat().st_size > 1000
    https_stack.compose("down", "--volumes", "--timeout", "5")  # the volume is gone
    with open(tmp_path / "caddy-data.tgz", "rb") as archive:
        subprocess.run([*compose, *restore], stdin=archive, env=env, check=True, timeout=120)
    https_stack.start()
    assert root_fingerprint(https_stack) == before
    assert wait_until(lambda: https_stack.session().get(f"{https_stack.url}/", timeout=2).ok)


def test_a_caddy_reload_under_load_fails_no_request(https_stack):
    """Caddy's reload is graceful, but it closes the old config's connections
    that carry no request; a few HTTP/1.1 requests sent at that moment find
    theirs closed without an answer (measured with wrk: 3-7 of ~7,000). Those
    are sent again, as browsers do, and counted; none may fail."""
    url = f"{https_stack.url}/"
    load = BackgroundLoad(url, clients=8, limit=30, verify=str(https_stack.root),
                          retry_unanswered=True)  # fmt: skip
    with load:
        wait_until(lambda: load.result.ok > 50, timeout=10)
        reload = https_stack.compose(
            "exec", "-T", "caddy", "caddy", "reload", "--config", "/etc/caddy/Caddyfile",
            "--force", check=False,
        )  # fmt: skip
        ok_at_reload = load.result.ok
        wait_until(lambda: load.result.ok > ok_at_reload + 50, timeout=10)
    print(f"\ncaddy reload under load: {load.result.ok} requests, {load.result.retried} sent "
          f"again after an unanswered close, failed: {load.result.failures}")  # fmt: skip
    assert reload.returncode == 0, reload.stderr
    assert load.result.ok > ok_at_reload + 50  # served on after the reload
    assert load.result.failures == []


def from_the_edge_network(https_stack, url):
    """GET `url` from a throw-away container on the stack's compose network."""
    fetch = "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())"
    network = f"{https_stack.stack.project}_edge"
    command = ["docker", "run", "--rm", "--network", network, "--entrypoint", "python"]
    return run([*command, "greeter:latest", "-c", fetch, url], check=False, timeout=60)


def metric(scraped, name, default=None, **labels):
    """A sample's value from Prometheus' text format, or `default` if absent."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    sample = re.search(rf"^{name}\{{{re.escape(wanted)}\}} (\S+)$", scraped, re.MULTILINE)
    if sample is None and default is not None:
        return default
    assert sample, f"no {name}{{{wanted}}} in the metrics"
    return float(sample.group(1))


def test_caddys_metrics_count_the_requests_for_a_scraper_on_the_compose_network(https_stack):
    url = "http://caddy:9180/metrics"
    get = {"code": "200", "handler": "subroute", "method": "GET", "server": "srv0"}
    post = {**get, "code": "403", "method": "POST"}
    name = "caddy_http_request_duration_seconds_count"
    before = from_the_edge_network(https_stack, url)
    assert before.returncode == 0, before.stderr
    session = https_stack.session()
    for _ in range(5):
        assert session.get(f"{https_stack.url}/", timeout=10).status_code == 200
    refused = session.post(f"{https_stack.url}/greet", data={"username": "Ada"}, timeout=10)
    assert refused.status_code == 403  # no token
    after = from_the_edge_network(https_stack, url).stdout
    assert metric(after, name, **get) - metric(before.stdout, name, **get) == 5
    assert metric(after, name, **post) - metric(before.stdout, name, 0, **post) == 1
    assert metric(after, "caddy_reverse_proxy_upstreams_healthy", upstream="web:5000") == 1


def test_caddys_metrics_and_admin_api_are_out_of_reach_from_outside(https_stack):
    ports = ports_of(https_stack, "caddy")
    assert ports["9180/tcp"] is None  # exposed on the compose network, never published
    assert all(port in {"80/tcp", "443/tcp", "443/udp"} for port, host in ports.items() if host)
    published = https_stack.session().get(f"{https_stack.url}/metrics", timeout=10)
    assert published.status_code == 404
    assert "caddy_http" not in published.text
    admin = from_the_edge_network(https_stack, "http://caddy:2019/config/")
    assert "Connection refused" in admin.stderr  # the admin API listens on localhost only

"""The production stack (docker-compose.production.yml): Caddy in front of
Greeter, published on other ports than 80 and 443, as a second stack on a
server is. Every check verifies Caddy's certificate against its local root."""

import hashlib
import json
import re
import socket
import ssl
import subprocess
import time

from tests.support import (
    Stack,
    Visitors,
    copy_project,
    csrf_token,
    documented,
    greet,
    inspect,
    post_form,
    raw_request,
    wait_until,
)


def test_the_form_csrf_and_a_greeting_work_over_https_with_secure_cookies_and_hsts(production):
    session = production.session()
    greeted = greet(production.https_url, "Ada", session)
    assert "Hello Ada, Welcome" in greeted.text
    form = session.get(f"{production.https_url}/", timeout=10)
    assert re.search(r"csrftoken=[^;]+;.*\bSecure\b", form.headers["Set-Cookie"])
    assert form.headers["Strict-Transport-Security"] == "max-age=3600"  # one header, Django's
    assert "camera=()" in form.headers["Permissions-Policy"]
    language = session.post(
        f"{production.https_url}/i18n/setlang/",
        allow_redirects=False,
        timeout=10,
        data={"language": "de", "next": "/", "csrfmiddlewaretoken": csrf_token(form.text)},
        headers={"Origin": production.https_url},
    )
    assert re.search(r"django_language=de;.*\bSecure\b", language.headers["Set-Cookie"])
    refused = post_form(session, production.https_url, "/greet", {"username": "Ada"})
    assert refused.status_code == 403  # no token


def test_http_redirects_the_sites_names_to_the_published_https_port_and_refuses_others(production):
    own = raw_request(production.http_port, b"GET /greet?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert (own.status, own.headers["location"]) == (
        308,
        f"https://localhost:{production.https_port}/greet?x=1",
    )
    assert "strict-transport-security" not in own.headers
    for host in ("evil.example", "127.0.0.1"):  # a forged Host, a bare IP: no redirect to itself
        refused = raw_request(
            production.http_port, f"GET /x HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
        )
        assert (refused.status, "location" in refused.headers) == (421, False), host


def test_http2_is_negotiated_and_http3_offered_on_the_published_port(production):
    context = ssl.create_default_context(cafile=str(production.root))
    context.set_alpn_protocols(["h2", "http/1.1"])
    with context.wrap_socket(
        socket.create_connection(("127.0.0.1", production.https_port), 10),
        server_hostname="localhost",
    ) as tls:
        assert tls.selected_alpn_protocol() == "h2"
    alt_svc = production.session().get(f"{production.https_url}/", timeout=10).headers["Alt-Svc"]
    assert alt_svc.startswith(f'h3=":{production.https_port}"')


def test_no_answer_names_the_upstream_server(production):
    session = production.session()
    answers = [
        session.request(method, f"{production.https_url}{path}", allow_redirects=False, timeout=10)
        for method, path in [
            ("GET", "/"),
            ("GET", "/nope"),
            ("GET", "/healthz"),
            ("POST", "/greet"),
            ("OPTIONS", "/"),
            ("BREW", "/"),
        ]
    ]
    assert {answer.status_code for answer in answers} >= {200, 403, 404, 405}
    assert all("gunicorn" not in answer.headers.get("Server", "") for answer in answers)


def test_only_caddys_web_ports_are_published_and_its_admin_api_unreachable(production):
    web = json.loads(inspect(production.container("web"), "{{json .NetworkSettings.Ports}}"))
    assert not any(web.values()), web
    caddy = json.loads(inspect(production.container("caddy"), "{{json .NetworkSettings.Ports}}"))
    assert {port for port, bound in caddy.items() if bound} == {
        f"{production.http_port}/tcp",
        f"{production.https_port}/tcp",
        f"{production.https_port}/udp",
    }
    assert (
        production.session().get(f"{production.https_url}/metrics", timeout=10).status_code == 404
    )
    admin = production.from_the_network("http://caddy:2019/config/")
    assert "Connection refused" in admin.stderr  # the admin API listens on Caddy's localhost


def answered_gets(scraped):
    """Caddy's count of GETs it answered 200, over its servers."""
    labels = r'code="200",handler="subroute",method="GET",server="\w+"'
    pattern = rf"^caddy_http_request_duration_seconds_count\{{{labels}\}} (\S+)$"
    return sum(float(count) for count in re.findall(pattern, scraped, re.MULTILINE))


def test_caddys_metrics_count_the_requests_for_a_scraper_on_the_compose_network(production):
    before = production.from_the_network("http://caddy:9180/metrics")
    assert before.returncode == 0, before.stderr
    for _ in range(5):
        assert production.session().get(f"{production.https_url}/", timeout=10).ok
    after = production.from_the_network("http://caddy:9180/metrics").stdout
    assert answered_gets(after) - answered_gets(before.stdout) == 5


def caddy_line(stack, marker):
    lines = [line for line in stack.logs("caddy").splitlines() if marker in line]
    return json.loads(lines[0]) if lines else None


def test_greeter_sees_the_client_caddy_saw_with_caddys_request_id_and_no_forged_header(production):
    """A client's own X-Forwarded-* headers change nothing: Caddy replaces them,
    and Greeter believes Caddy alone."""
    marker = f"who-{time.time_ns()}"
    forged = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "http", "X-Request-ID": "mine"}
    answer = production.session().get(
        f"{production.https_url}/?{marker}", headers=forged, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 200  # not redirected: Greeter still knows it is HTTPS
    assert wait_until(lambda: caddy_line(production, marker), timeout=5)
    seen_by_caddy = caddy_line(production, marker)
    greeter_line = next(line for line in production.logs().splitlines() if marker in line)
    client, request_id = greeter_line.split()[0], greeter_line.split()[-1]
    assert client == seen_by_caddy["request"]["client_ip"] != "203.0.113.7"
    assert request_id == seen_by_caddy["request_id"] != "mine"
    caddy = inspect(
        production.container("caddy"), "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"
    )
    assert client != caddy


def test_the_deploy_check_is_clean_inside_the_running_container(production):
    result = production.manage("check", "--deploy", "--fail-level", "WARNING", check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_caddy_reload_under_load_fails_no_request(production):
    """A reload closes the client connections that carry no request: a request
    sent on one at that moment is sent again, as browsers do (counted)."""
    with Visitors(production.https_url, production.root, count=4) as visitors:
        assert wait_until(lambda: visitors.outcome.ok > 40, timeout=20)
        production.compose(
            "exec", "-T", "caddy", "caddy", "reload", "--config", "/etc/caddy/Caddyfile", "--force"
        )
        served = visitors.outcome.ok
        assert wait_until(lambda: visitors.outcome.ok > served + 40, timeout=20)
    print(
        f"\nreload under load: {visitors.outcome.ok} answered, {visitors.outcome.resent} sent again"
    )
    assert visitors.outcome.failures == []


def root_fingerprint(stack):
    return hashlib.sha256(stack.root.read_bytes()).hexdigest()


def test_the_local_ca_survives_down_and_up_and_its_documented_backup_restores_it(
    production, tmp_path
):
    before = root_fingerprint(production)
    backup = documented("docs/deployment.md", r"^(docker compose [^\n]* > caddy-data\.tgz)$")
    restore = documented("docs/deployment.md", r"^(docker compose [^\n]* < caddy-data\.tgz)$")
    shell = {"cwd": production.folder, "env": production.env, "shell": True, "check": True}
    subprocess.run(backup.replace("caddy-data.tgz", str(tmp_path / "caddy.tgz")), **shell)
    production.compose("down", "--timeout", "5")  # keeps the volumes
    production.up()
    assert root_fingerprint(production) == before
    production.compose("down", "--volumes", "--timeout", "5")  # the volume is gone
    subprocess.run(restore.replace("caddy-data.tgz", str(tmp_path / "caddy.tgz")), **shell)
    production.up()
    assert root_fingerprint(production) == before
    assert greet(production.https_url, "Ada", production.session()).status_code == 200


def test_a_second_stack_from_another_folder_runs_beside_the_first(production, tmp_path):
    """Staging beside production: other ports, its own network (no fixed subnet)."""
    second = Stack("greeter-second", production.files, copy_project(tmp_path))
    try:
        second.up()
        for each in (production, second):
            assert "Hello Ada" in greet(each.https_url, "Ada", each.session()).text
    finally:
        second.down()

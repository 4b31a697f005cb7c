"""The Kubernetes manifests, run as far as podman can: the example overlay,
rendered with kustomize, runs with `podman kube play` (podman 5, Debian trixie)
in a privileged throw-away container, with Greeter's image loaded into it.

A smoke test, not a Kubernetes validation: podman runs a Deployment as one pod
and ignores much of it (docs/deployment.md lists what this does not check).
Only the test's rendered copy is changed, by the workarounds named below."""

import base64
import json
import re
import subprocess

import pytest
import yaml

from bench.measure import base_image
from tests.conftest import run, wait_until
from tests.test_kubernetes import render

pytestmark = pytest.mark.container

# Debian's podman on the Debian the image builds on (python:3.13-slim is trixie).
# nftables: netavark sets up the pod's network with nft.
PODMAN_DOCKERFILE = """\
ARG BASE
FROM ${BASE}
RUN apt-get update \\
    && apt-get install -y --no-install-recommends podman crun netavark aardvark-dns \\
        passt catatonit nftables ca-certificates \\
    && rm -rf /var/lib/apt/lists/*
"""
KEY_IN_THE_SECRET = "podman-smoke-test-key-" + "k8s9" * 12
UID = "10001"
MEMORY_LIMIT = str(256 * 1024 * 1024)  # the Deployment's 256Mi
CONTAINER = "greeter-pod-web"  # podman names it <Deployment>-pod-<container>


def readable_secret(pod):
    """Workaround: podman ignores fsGroup, so the Secret's file (root's, 0440)
    would be unreadable to UID 10001 and Greeter would stop at once."""
    secret = next(volume for volume in pod["volumes"] if "secret" in volume)
    secret["secret"]["defaultMode"] = 0o444


def exec_probes(pod):
    """Workaround: podman turns an httpGet probe into a curl health check, and
    the image has no curl. The same check in the image's own Python."""
    [container] = pod["containers"]
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        del container[probe]["httpGet"]
        container[probe]["exec"] = {"command": ["python", "-m", "project.healthcheck"]}


WORKAROUNDS = (readable_secret, exec_probes)


def pod_manifest():
    """The overlay's ConfigMap and Deployment with the workarounds, and the
    Secret the documentation says to create."""
    objects, _ = render("deploy/k8s/overlays/example")
    deployment, config_map = objects["Deployment"], objects["ConfigMap"]
    for workaround in WORKAROUNDS:
        workaround(deployment["spec"]["template"]["spec"])
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "greeter-secret-key", "namespace": "greeter"},
        "data": {"secret-key": base64.b64encode(KEY_IN_THE_SECRET.encode()).decode()},
    }
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    return yaml.safe_dump_all([config_map, secret, deployment]), image, config_map["data"]


# A browser behind the Gateway: the allowed host, and X-Forwarded-Proto: https
# (the manifests trust it from any peer; the NetworkPolicy is what limits them).
BROWSER = """\
import http.client, json, re, sys
host = sys.argv[1]
def send(method, path, body=None, cookie=""):
    connection = http.client.HTTPConnection("127.0.0.1", 5000, timeout=10)
    headers = {"Host": host, "X-Forwarded-Proto": "https", "Cookie": cookie,
               "Origin": f"https://{host}", "Referer": f"https://{host}/",
               "Content-Type": "application/x-www-form-urlencoded"}
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.getheader("Set-Cookie") or "", response.read().decode()
status, cookie, form = send("GET", "/")
token = re.search('name="csrfmiddlewaretoken" value="([^"]+)"', form)
answers = {"form": status}
if token:
    body = f"username=Ada&csrfmiddlewaretoken={token.group(1)}"
    status, _, greeting = send("POST", "/greet", body, cookie.split(";")[0])
    answers["greeting"] = status
    answers["greeted"] = "Hello Ada, Welcome" in greeting
print(json.dumps(answers))
"""


class Podman:
    def __init__(self, container, settings):
        self.container = container
        self.settings = settings  # the rendered ConfigMap's

    def __call__(self, *args, check=True, stdin=None):
        command = ["docker", "exec", "-i", self.container, "podman", *args]
        return run(command, check=check, input=stdin, timeout=300)

    def in_pod(self, *command, check=True):
        return self(*["exec", CONTAINER, *command], check=check)

    def inspect(self, template):
        return self("inspect", CONTAINER, "--format", template).stdout.strip()

    def browse(self, host):
        command = ["docker", "exec", "-i", self.container, "python3", "-", host]
        return json.loads(run(command, input=BROWSER, timeout=60).stdout)


@pytest.fixture(scope="module")
def podman(stack, tmp_path_factory):
    """`stack` has built greeter:latest. The pod runs once it is healthy."""
    image = "greeter-podman-test"
    build = ["docker", "build", "-q", "-t", image, "--build-arg", f"BASE={base_image()}", "-"]
    run(build, input=PODMAN_DOCKERFILE, timeout=900)
    name = f"greeter-podman-{tmp_path_factory.getbasetemp().name}"
    run(["docker", "run", "-d", "--name", name, "--privileged",
         # podman's storage on a volume: overlay can't stack on Docker's overlayfs.
         "--mount", "type=volume,dst=/var/lib/containers",
         "-e", "PODMAN_IGNORE_CGROUPSV1_WARNING=1", image, "sleep", "infinity"])  # fmt: skip
    try:
        manifest, pod_image, settings = pod_manifest()
        podman = Podman(name, settings)
        save = subprocess.Popen(["docker", "save", "greeter:latest"], stdout=subprocess.PIPE)
        load = ["docker", "exec", "-i", name, "podman", "load", "-q"]
        subprocess.run(load, stdin=save.stdout, check=True, capture_output=True, timeout=300)
        assert save.wait(timeout=60) == 0
        podman("tag", "docker.io/library/greeter:latest", pod_image)
        podman("kube", "play", "--publish", "127.0.0.1:5000:5000", "-", stdin=manifest)
        healthy = ["healthcheck", "run", CONTAINER]
        if not wait_until(lambda: podman(*healthy, check=False).returncode == 0, interval=1):
            pytest.fail(f"the pod never became healthy: {podman('logs', CONTAINER).stderr}")
        yield podman
    finally:
        run(["docker", "rm", "-f", "-v", name], check=False)


def test_the_pod_serves_the_form_and_a_greeting(podman):
    answers = podman.browse(podman.settings["DJANGO_ALLOWED_HOSTS"])
    assert answers == {"form": 200, "greeting": 200, "greeted": True}


def test_the_pod_runs_as_uid_10001_read_only_with_no_capabilities(podman):
    assert podman.in_pod("id", "-u").stdout.strip() == UID
    status = podman.in_pod("cat", "/proc/1/status").stdout
    for capabilities in ("CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert re.search(rf"^{capabilities}:\s+0+$", status, re.MULTILINE), capabilities
    written = podman.in_pod("touch", "/app/written", check=False)
    assert "Read-only file system" in written.stderr
    assert podman.inspect("{{.HostConfig.ReadonlyRootfs}}") == "true"


def test_the_pod_has_the_configmaps_and_the_secrets_settings(podman):
    for name, value in podman.settings.items():
        assert podman.in_pod("printenv", name).stdout.strip() == value
    # The base's host name, which the overlay's ConfigMap replaced, is refused.
    assert podman.browse("greeter.example.com")["form"] == 400
    key = (
        "import django; django.setup(); from django.conf import settings as s; print(s.SECRET_KEY)"
    )
    read = podman.in_pod("env", "DJANGO_SETTINGS_MODULE=project.settings", "python", "-c", key)
    assert read.stdout.strip() == KEY_IN_THE_SECRET


def test_the_pod_has_the_memory_limit(podman):
    assert podman.inspect("{{.HostConfig.Memory}}") == MEMORY_LIMIT
    container_id = podman.inspect("{{.Id}}")
    # What the kernel enforces: the container's cgroup, v1 or v2.
    limits = ["-name", "memory.max", "-o", "-name", "memory.limit_in_bytes"]
    find = ["find", "/sys/fs/cgroup", "-path", f"*{container_id}*", "(", *limits, ")"]
    files = run(["docker", "exec", podman.container, *find]).stdout.split()
    assert files, "no memory cgroup of the pod's container"
    read = run(["docker", "exec", podman.container, "cat", *files]).stdout.split()
    assert MEMORY_LIMIT in read

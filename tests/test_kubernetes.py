"""deploy/k8s, rendered with kustomize, says what Greeter needs. That every
object is valid for Kubernetes 1.37 is a pre-commit hook's check
(scripts/check-kubernetes)."""

import collections
import re
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, run

BIN = Path(sys.executable).parent
LAYOUTS = ["deploy/k8s/base", "deploy/k8s/overlays/example"]
GATEWAY = ROOT / "deploy/k8s/gateway/gateway.yaml"


def render(layout):
    """The rendered objects by kind, or by kind/name for a kind that has several."""
    out = run([str(BIN / "kubectl"), "kustomize", str(ROOT / layout)], timeout=120).stdout
    docs = list(yaml.safe_load_all(out))
    count = collections.Counter(doc["kind"] for doc in docs)
    return {
        doc["kind"] if count[doc["kind"]] == 1 else f"{doc['kind']}/{doc['metadata']['name']}": doc
        for doc in docs
    }, out


@pytest.fixture(scope="module", params=LAYOUTS)
def deployment(request):
    return render(request.param)[0]


def container_of(objects):
    return objects["Deployment"]["spec"]["template"]["spec"]["containers"][0]


def settings_of(objects):
    """The container's environment: the ConfigMap its envFrom names, then its env."""
    container = container_of(objects)
    [source] = container["envFrom"]
    config_map = objects["ConfigMap"]
    assert config_map["metadata"]["name"] == source["configMapRef"]["name"]
    return {**config_map["data"], **{e["name"]: e.get("value") for e in container["env"]}}


def test_the_autoscaler_alone_owns_the_count_at_least_two_spread_over_nodes(deployment):
    spec = deployment["Deployment"]["spec"]
    assert "replicas" not in spec  # `kubectl apply` would reset the autoscaler's count
    assert deployment["HorizontalPodAutoscaler"]["spec"]["minReplicas"] >= 2
    assert spec["template"]["spec"]["topologySpreadConstraints"]


def test_the_overlay_sets_its_variables_by_name():
    for path in (ROOT / "deploy/k8s").rglob("kustomization.yaml"):
        assert not re.search(r"/env/\d", path.read_text()), path  # no patch by position
    base, overlay = render(LAYOUTS[0])[0], render(LAYOUTS[1])[0]
    env = settings_of(overlay)
    assert env["DJANGO_ALLOWED_HOSTS"] == "greeter.example.org"
    assert env["DJANGO_CSRF_TRUSTED_ORIGINS"] == "https://greeter.example.org"
    assert env["DJANGO_BEHIND_HTTPS_PROXY"] == "true"  # the base's others are kept
    assert overlay["HorizontalPodAutoscaler"]["spec"]["minReplicas"] == 3
    # A changed setting is a new ConfigMap name, so the pods roll.
    assert base["ConfigMap"]["metadata"]["name"] != overlay["ConfigMap"]["metadata"]["name"]


def test_only_the_gateways_namespace_reaches_the_pods(deployment):
    policy = deployment["NetworkPolicy"]["spec"]
    selector = deployment["Deployment"]["spec"]["selector"]["matchLabels"]
    assert policy["podSelector"]["matchLabels"] == selector
    assert policy["policyTypes"] == ["Ingress"]
    [rule] = policy["ingress"]
    [parent] = deployment["HTTPRoute/greeter"]["spec"]["parentRefs"]
    namespace = {"kubernetes.io/metadata.name": parent["namespace"]}
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": namespace}}]
    assert rule["ports"] == [{"port": "http"}]


def test_probes_use_the_health_endpoint(deployment):
    container = container_of(deployment)
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}


def test_pods_are_locked_down(deployment):
    pod = deployment["Deployment"]["spec"]["template"]["spec"]
    container = container_of(deployment)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["resources"]["requests"]
    assert container["resources"]["limits"]
    tmp = next(v for v in pod["volumes"] if v["name"] == "tmp")
    assert "emptyDir" in tmp
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]


def test_secret_key_comes_from_a_secret_file(deployment):
    pod = deployment["Deployment"]["spec"]["template"]["spec"]
    container = container_of(deployment)
    env = settings_of(deployment)
    assert "DJANGO_SECRET_KEY" not in env
    mount = next(m for m in container["volumeMounts"] if m["name"] == "secret-key")
    assert env["DJANGO_SECRET_KEY_FILE"] == f"{mount['mountPath']}/secret-key"
    volume = next(v for v in pod["volumes"] if v["name"] == "secret-key")
    assert volume["secret"]["secretName"] == "greeter-secret-key"


def test_service_pdb_and_autoscaler_point_at_the_deployment(deployment):
    labels = deployment["Deployment"]["spec"]["template"]["metadata"]["labels"]
    selector = deployment["Deployment"]["spec"]["selector"]["matchLabels"]
    assert selector.items() <= labels.items()
    assert deployment["Service"]["spec"]["selector"] == selector
    assert deployment["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == selector
    target = deployment["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert target["name"] == deployment["Deployment"]["metadata"]["name"]


def test_graceful_shutdown_fits_the_termination_grace_period(deployment):
    pod = deployment["Deployment"]["spec"]["template"]["spec"]
    pause = int(container_of(deployment)["lifecycle"]["preStop"]["exec"]["command"][1])
    graceful_timeout = 5  # gunicorn.conf.py
    assert pause + graceful_timeout < pod["terminationGracePeriodSeconds"]


def test_the_routes_serve_the_allowed_host_over_https_and_redirect_http(deployment):
    env = settings_of(deployment)
    route, redirect = (
        deployment["HTTPRoute/greeter"],
        deployment["HTTPRoute/greeter-https-redirect"],
    )
    for each in (route, redirect):
        assert each["spec"]["hostnames"] == [env["DJANGO_ALLOWED_HOSTS"]]
    assert f"https://{env['DJANGO_ALLOWED_HOSTS']}" in env["DJANGO_CSRF_TRUSTED_ORIGINS"]
    [parent] = route["spec"]["parentRefs"]
    assert parent["sectionName"] == "https"
    assert redirect["spec"]["parentRefs"] == [{**parent, "sectionName": "http"}]
    [backend] = route["spec"]["rules"][0]["backendRefs"]
    assert backend["name"] == deployment["Service"]["metadata"]["name"]
    assert backend["port"] in {port["port"] for port in deployment["Service"]["spec"]["ports"]}
    [rule] = redirect["spec"]["rules"]
    assert rule["filters"] == [
        {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}
    ]


def test_the_example_gateway_terminates_tls_for_the_routes_listeners():
    gateway = yaml.safe_load(GATEWAY.read_text())
    [parent] = render(LAYOUTS[0])[0]["HTTPRoute/greeter"]["spec"]["parentRefs"]
    assert (gateway["metadata"]["name"], gateway["metadata"]["namespace"]) == (
        parent["name"], parent["namespace"],
    )  # fmt: skip
    listeners = {listener["name"]: listener for listener in gateway["spec"]["listeners"]}
    assert listeners["https"]["protocol"] == "HTTPS"
    assert listeners["https"]["tls"] == {
        "mode": "Terminate", "certificateRefs": [{"name": "greeter-tls"}]
    }  # fmt: skip
    assert listeners["http"]["protocol"] == "HTTP"
    assert gateway["metadata"]["annotations"]["cert-manager.io/cluster-issuer"]


@pytest.mark.parametrize(
    ("layout", "image"),
    [(LAYOUTS[0], "ghcr.io/greeter/greeter:1.0.0"), (LAYOUTS[1], "ghcr.io/example/greeter:1.2.3")],
)
def test_each_layout_renders_its_own_image(layout, image):
    assert container_of(render(layout)[0])["image"] == image

"""deploy/k8s rendered with kustomize, as `kubectl apply -k` would send it:
what Greeter needs of a cluster. No cluster runs here; that every object is
valid for Kubernetes is a pre-commit hook's check (scripts/check-kubernetes)."""

import collections
import sys
from pathlib import Path

import pytest
import yaml

from tests.support import ROOT, run

LAYOUTS = {
    "deploy/k8s/base": "ghcr.io/greeter/greeter:1.0.0",
    "deploy/k8s/overlays/example": "ghcr.io/example/greeter:1.2.3",
}


def render(layout):
    """The rendered objects by kind, or kind/name where a kind has several."""
    out = run(
        [str(Path(sys.executable).parent / "kubectl"), "kustomize", str(ROOT / layout)]
    ).stdout
    docs = list(yaml.safe_load_all(out))
    count = collections.Counter(doc["kind"] for doc in docs)
    return {
        doc["kind"] if count[doc["kind"]] == 1 else f"{doc['kind']}/{doc['metadata']['name']}": doc
        for doc in docs
    }


@pytest.fixture(scope="module", params=LAYOUTS)
def objects(request):
    rendered = render(request.param)
    rendered["layout"] = request.param
    return rendered


def pod_of(objects):
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    return pod, pod["containers"][0]


def settings_of(objects):
    """The container's variables: its ConfigMap's, then its own."""
    _, container = pod_of(objects)
    assert container["envFrom"] == [
        {"configMapRef": {"name": objects["ConfigMap"]["metadata"]["name"]}}
    ]
    return {**objects["ConfigMap"]["data"], **{e["name"]: e.get("value") for e in container["env"]}}


def test_a_pod_runs_its_layouts_image_locked_down_with_the_key_from_a_secret_file(objects):
    pod, container = pod_of(objects)
    assert container["image"] == LAYOUTS[objects["layout"]]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["resources"]["limits"]["memory"] == "256Mi"
    env = settings_of(objects)
    assert "DJANGO_SECRET_KEY" not in env
    mount = next(m for m in container["volumeMounts"] if m["name"] == "secret-key")
    assert env["DJANGO_SECRET_KEY_FILE"] == f"{mount['mountPath']}/secret-key"
    # The preStop pause and gunicorn's graceful_timeout (5 s) end before SIGKILL.
    pause = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
    assert pause + 5 < pod["terminationGracePeriodSeconds"]


def test_readiness_and_liveness_differ_and_tolerate_a_busy_pod(objects):
    _, container = pod_of(objects)
    ready, alive = container["readinessProbe"], container["livenessProbe"]
    assert ready["httpGet"]["path"] == "/readyz"
    assert alive["httpGet"]["path"] == container["startupProbe"]["httpGet"]["path"] == "/healthz"
    for probe in (ready, alive, container["startupProbe"]):
        assert probe["timeoutSeconds"] > 1  # Kubernetes' 1 s would fail behind a few requests
    # A minute of silence before a restart, not a burst of slow requests.
    assert alive["periodSeconds"] * alive["failureThreshold"] >= 60


def test_the_autoscaler_alone_owns_the_count_and_everything_points_at_the_pods(objects):
    spec = objects["Deployment"]["spec"]
    assert "replicas" not in spec  # `kubectl apply` would reset the autoscaler's count
    assert objects["HorizontalPodAutoscaler"]["spec"]["minReplicas"] >= 2
    assert (
        objects["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["name"]
        == objects["Deployment"]["metadata"]["name"]
    )
    selector = spec["selector"]["matchLabels"]
    assert objects["Service"]["spec"]["selector"] == selector
    assert objects["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == selector
    assert spec["template"]["spec"]["topologySpreadConstraints"]


def test_only_the_gateways_namespace_reaches_the_pods_through_the_routes(objects):
    """gunicorn believes any peer's X-Forwarded-* there (FORWARDED_ALLOW_IPS=*)."""
    route, redirect = objects["HTTPRoute/greeter"], objects["HTTPRoute/greeter-https-redirect"]
    [parent] = route["spec"]["parentRefs"]
    [rule] = objects["NetworkPolicy"]["spec"]["ingress"]
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": parent["namespace"]}}}
    ]
    env = settings_of(objects)
    assert (
        route["spec"]["hostnames"] == redirect["spec"]["hostnames"] == [env["DJANGO_ALLOWED_HOSTS"]]
    )
    assert redirect["spec"]["rules"][0]["filters"][0]["requestRedirect"] == {
        "scheme": "https",
        "statusCode": 301,
    }
    gateway = yaml.safe_load((ROOT / "deploy/k8s/gateway/gateway.yaml").read_text())
    listeners = {listener["name"]: listener for listener in gateway["spec"]["listeners"]}
    assert listeners[parent["sectionName"]]["tls"]["mode"] == "Terminate"


def test_the_overlay_changes_variables_by_name_and_a_change_rolls_the_pods():
    base, overlay = render("deploy/k8s/base"), render("deploy/k8s/overlays/example")
    env = settings_of(overlay)
    assert env["DJANGO_ALLOWED_HOSTS"] == "greeter.example.org"
    assert env["DJANGO_BEHIND_HTTPS_PROXY"] == "true"  # the base's others are kept
    assert base["ConfigMap"]["metadata"]["name"] != overlay["ConfigMap"]["metadata"]["name"]

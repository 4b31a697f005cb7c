"""deploy/k8s renders with kustomize and every object is valid against the
schemas of a current Kubernetes release (kubernetes-validate, offline)."""

import re
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, run

BIN = Path(sys.executable).parent
KUBERNETES_VERSION = "1.37.0"
LAYOUTS = ["deploy/k8s/base", "deploy/k8s/overlays/example"]


def render(layout):
    out = run([str(BIN / "kubectl"), "kustomize", str(ROOT / layout)], timeout=120).stdout
    return {doc["kind"]: doc for doc in yaml.safe_load_all(out)}, out


def validate(manifest_text, tmp_path):
    path = tmp_path / "rendered.yaml"
    path.write_text(manifest_text)
    command = [str(BIN / "kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, str(path)]
    return run(command, check=False, timeout=120)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_rendered_objects_are_valid(layout, tmp_path):
    objects, text = render(layout)
    kinds = {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"}
    assert kinds | {"NetworkPolicy", "Ingress"} <= set(objects)
    result = validate(text, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("passed for resource") == len(objects)


def test_the_validator_rejects_an_invalid_object(tmp_path):
    objects, _ = render(LAYOUTS[0])
    broken = objects["Deployment"]
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["pth"] = "/"
    assert validate(yaml.safe_dump(broken), tmp_path).returncode != 0


@pytest.fixture(scope="module", params=LAYOUTS)
def deployment(request):
    return render(request.param)[0]


def container_of(objects):
    return objects["Deployment"]["spec"]["template"]["spec"]["containers"][0]


def test_the_autoscaler_alone_owns_the_count_at_least_two_spread_over_nodes(deployment):
    spec = deployment["Deployment"]["spec"]
    assert "replicas" not in spec  # `kubectl apply` would reset the autoscaler's count
    assert deployment["HorizontalPodAutoscaler"]["spec"]["minReplicas"] >= 2
    assert spec["template"]["spec"]["topologySpreadConstraints"]


def test_the_overlay_sets_its_variables_by_name():
    for path in (ROOT / "deploy/k8s").rglob("kustomization.yaml"):
        assert not re.search(r"/env/\d", path.read_text()), path  # no patch by position
    env = {e["name"]: e.get("value") for e in container_of(render(LAYOUTS[1])[0])["env"]}
    assert env["DJANGO_ALLOWED_HOSTS"] == "greeter.example.org"
    assert env["DJANGO_CSRF_TRUSTED_ORIGINS"] == "https://greeter.example.org"
    assert env["DJANGO_BEHIND_HTTPS_PROXY"] == "true"  # the base's others are kept
    assert render(LAYOUTS[1])[0]["HorizontalPodAutoscaler"]["spec"]["minReplicas"] == 3


def test_only_the_ingress_controllers_namespace_reaches_the_pods(deployment):
    policy = deployment["NetworkPolicy"]["spec"]
    selector = deployment["Deployment"]["spec"]["selector"]["matchLabels"]
    assert policy["podSelector"]["matchLabels"] == selector
    assert policy["policyTypes"] == ["Ingress"]
    [rule] = policy["ingress"]
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    ]
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
    env = {item["name"]: item.get("value") for item in container["env"]}
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


def test_the_ingress_serves_the_allowed_host_over_tls_to_the_service(deployment):
    ingress = deployment["Ingress"]
    env = {e["name"]: e.get("value") for e in container_of(deployment)["env"]}
    [rule] = ingress["spec"]["rules"]
    assert rule["host"] == env["DJANGO_ALLOWED_HOSTS"]
    assert f"https://{rule['host']}" in env["DJANGO_CSRF_TRUSTED_ORIGINS"]
    assert ingress["spec"]["tls"] == [{"hosts": [rule["host"]], "secretName": "greeter-tls"}]
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == deployment["Service"]["metadata"]["name"]
    assert backend["port"]["name"] in {
        port["name"] for port in deployment["Service"]["spec"]["ports"]
    }
    assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"]

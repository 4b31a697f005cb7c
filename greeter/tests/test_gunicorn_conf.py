"""gunicorn.conf.py: workers from the container's CPU quota and memory limit, safe
server defaults."""

import runpy

import pytest
import yaml
from gunicorn import util
from gunicorn.workers import ggevent

from greeter.tests.conftest import BASE_DIR

CONF = str(BASE_DIR / "gunicorn.conf.py")


def load_conf(monkeypatch, **env):
    for name in ("WEB_CONCURRENCY", "PORT", "FORWARDED_ALLOW_IPS", "DJANGO_SECRET_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    # Set, so that monkeypatch restores it: the config file writes the key it makes.
    monkeypatch.setenv("DJANGO_SECRET_KEY", "")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(CONF)


@pytest.fixture
def container_cpus(monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(64)))  # a big host
    return load_conf(monkeypatch)["container_cpus"]


def test_cgroup_v2_quota_sets_the_cpu_count(tmp_path, container_cpus):
    (tmp_path / "cpu.max").write_text("150000 100000\n")  # docker run --cpus=1.5
    assert container_cpus(tmp_path) == 2


def test_cgroup_v2_without_quota_uses_the_cpus_the_process_may_run_on(tmp_path, container_cpus):
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert container_cpus(tmp_path) == 64


def test_cgroup_v1_quota_sets_the_cpu_count(tmp_path, container_cpus):
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("300000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert container_cpus(tmp_path) == 3


def test_cgroup_v1_without_quota_uses_the_cpus_the_process_may_run_on(tmp_path, container_cpus):
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert container_cpus(tmp_path) == 64


def test_a_small_quota_still_gets_one_cpu(tmp_path, container_cpus):
    (tmp_path / "cpu.max").write_text("20000 100000\n")
    assert container_cpus(tmp_path) == 1


def test_no_cgroup_files_fall_back_to_the_cpus_the_process_may_run_on(tmp_path, container_cpus):
    assert container_cpus(tmp_path) == 64


MIB = 2**20
V1_NO_LIMIT = "9223372036854771712"  # what cgroup v1 reports for "no limit"


def fake_cgroup(root, version, cpus, memory):
    """A cgroup tree as a container with `cpus` CPUs and `memory` bytes (None: no
    limit) sees it, on cgroup v1 or v2."""
    if version == 2:
        (root / "cpu.max").write_text(f"{cpus * 100000} 100000\n")
        (root / "memory.max").write_text(f"{memory or 'max'}\n")
    else:
        (root / "cpu").mkdir()
        (root / "cpu" / "cpu.cfs_quota_us").write_text(f"{cpus * 100000}\n")
        (root / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
        (root / "memory").mkdir()
        (root / "memory" / "memory.limit_in_bytes").write_text(f"{memory or V1_NO_LIMIT}\n")
    return root


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize(
    ("memory", "most"),
    [(128 * MIB, 2), (256 * MIB, 5), (1024 * MIB, 24), (None, None)],
    ids=["128MB", "256MB", "1GB", "no-memory-limit"],
)
@pytest.mark.parametrize("cpus", [1, 2, 12, 64])
def test_workers_follow_the_cpus_but_never_outgrow_the_memory(
    tmp_path, monkeypatch, version, cpus, memory, most
):
    conf = load_conf(monkeypatch)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(64)))  # a big host
    cgroup = fake_cgroup(tmp_path, version, cpus, memory)
    by_cpus = max(2, cpus)
    workers, warning = conf["worker_count"](
        0, conf["container_cpus"](cgroup), conf["container_memory"](cgroup)
    )
    assert workers == (by_cpus if most is None else min(by_cpus, most))
    assert (warning is not None) == (most is not None and by_cpus > most)
    # Each worker's budget times the count, plus the main process, fits the limit.
    if memory:
        assert conf["MAIN_PROCESS_MIB"] + workers * conf["WORKER_MIB"] <= memory / MIB


def test_a_web_concurrency_the_memory_cannot_hold_is_lowered_with_a_warning(tmp_path, monkeypatch):
    conf = load_conf(monkeypatch)
    cgroup = fake_cgroup(tmp_path, 2, 2, 256 * MIB)
    workers, warning = conf["worker_count"](
        12, conf["container_cpus"](cgroup), conf["container_memory"](cgroup)
    )
    assert workers == 5
    assert "WEB_CONCURRENCY=12" in warning
    assert "256 MiB" in warning


def test_the_sizing_and_key_warnings_are_logged_when_gunicorn_starts(monkeypatch):
    conf = load_conf(monkeypatch)
    logged: list[str] = []
    server = type("Server", (), {"log": type("Log", (), {"warning": logged.append})()})()
    monkeypatch.setitem(conf["on_starting"].__globals__, "workers_warning", "too many")
    conf["on_starting"](server)
    assert logged[0] == "too many"
    assert "DJANGO_SECRET_KEY is not set" in logged[1]


def test_without_a_key_one_is_made_for_all_workers(monkeypatch):
    conf = load_conf(monkeypatch)
    import os

    assert len(os.environ["DJANGO_SECRET_KEY"]) >= 60  # inherited by every forked worker
    assert "changes at every restart" in conf["secret_key_warning"]


@pytest.mark.parametrize(
    "env",
    [
        {"DJANGO_SECRET_KEY": "configured"},
        {"DJANGO_SECRET_KEY_FILE": "/run/secrets/key"},
        {"DJANGO_BEHIND_HTTPS_PROXY": "true"},  # Django refuses to start instead
    ],
)
def test_a_configured_key_or_https_makes_no_key(monkeypatch, env):
    conf = load_conf(monkeypatch)
    made = dict(env)
    assert conf["shared_secret_key"](made) is None
    assert made == env


def test_a_tiny_memory_limit_still_gets_one_worker(tmp_path, monkeypatch):
    conf = load_conf(monkeypatch)
    workers, warning = conf["worker_count"](0, 2, 64 * MIB)
    assert workers == 1
    assert warning


def test_web_concurrency_sets_the_worker_count(monkeypatch):
    assert load_conf(monkeypatch, WEB_CONCURRENCY="7")["workers"] == 7


def test_default_workers_are_never_fewer_than_two(monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0})
    assert load_conf(monkeypatch)["workers"] >= 2


def test_binds_port_5000_on_all_interfaces_unless_port_is_set(monkeypatch):
    assert load_conf(monkeypatch)["bind"] == "0.0.0.0:5000"
    assert load_conf(monkeypatch, PORT="8080")["bind"] == "0.0.0.0:8080"


def test_server_settings_fit_a_read_only_container(monkeypatch):
    conf = load_conf(monkeypatch)
    assert conf["worker_tmp_dir"] == "/dev/shm"
    assert conf["control_socket_disable"] is True
    assert conf["accesslog"] == "-"
    # gunicorn's gevent worker (one greenlet per connection), stopping promptly.
    worker_class = util.load_class(conf["worker_class"])
    assert issubclass(worker_class, ggevent.GeventWorker)


def test_forwarded_allow_ips_come_from_the_environment(monkeypatch):
    assert load_conf(monkeypatch)["forwarded_allow_ips"] == "127.0.0.1,::1"
    proxy = load_conf(monkeypatch, FORWARDED_ALLOW_IPS="10.0.0.2")
    assert proxy["forwarded_allow_ips"] == "10.0.0.2"


def test_graceful_timeout_ends_before_compose_sends_sigkill(monkeypatch):
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    grace = compose["services"]["web"]["stop_grace_period"]
    assert grace.endswith("s")
    assert load_conf(monkeypatch)["graceful_timeout"] < int(grace.removesuffix("s"))

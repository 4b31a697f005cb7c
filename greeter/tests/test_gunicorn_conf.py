"""gunicorn.conf.py: workers from the container's CPU quota and memory limit, safe
server defaults."""

import os
import re
import runpy
import socket
import warnings

import pytest
import yaml

from greeter.tests.conftest import BASE_DIR, TEST_KEY

CONF = str(BASE_DIR / "gunicorn.conf.py")


def load_conf(monkeypatch, **env):
    for name in (
        "WEB_CONCURRENCY", "PORT", "FORWARDED_ALLOW_IPS", "DJANGO_SECRET_KEY_FILE",
        "DJANGO_BEHIND_HTTPS_PROXY", "DJANGO_BEHIND_HTTPS_PROXY_FILE",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    # Set, so that monkeypatch restores it: the config file writes the key it makes.
    monkeypatch.setenv("DJANGO_SECRET_KEY", "")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with warnings.catch_warnings():
        # The config file runs the settings, which this test process has imported
        # already (gunicorn's main process has not): runpy warns of that here only.
        warnings.filterwarnings("ignore", "'project.settings' found in sys.modules")
        return runpy.run_path(CONF)


@pytest.fixture
def container_cpus(monkeypatch):
    monkeypatch.setattr(
        "os.sched_getaffinity", lambda pid: set(range(64)), raising=False
    )  # a big host
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
    monkeypatch.setattr(
        "os.sched_getaffinity", lambda pid: set(range(64)), raising=False
    )  # a big host
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
    assert len(os.environ["DJANGO_SECRET_KEY"]) >= 60  # inherited by every forked worker
    assert "changes at every restart" in conf["secret_key_warning"]


def test_a_configured_key_makes_no_key(monkeypatch, tmp_path):
    assert load_conf(monkeypatch, DJANGO_SECRET_KEY="configured")["secret_key_warning"] is None
    (tmp_path / "key").write_text(TEST_KEY)
    from_file = load_conf(monkeypatch, DJANGO_SECRET_KEY_FILE=str(tmp_path / "key"))
    assert from_file["secret_key_warning"] is None
    assert os.environ["DJANGO_SECRET_KEY"] == ""  # left as it was: the file is the key


def https_switch_files(tmp_path):
    (tmp_path / "switch").write_text("true\n")
    return {"DJANGO_BEHIND_HTTPS_PROXY_FILE": str(tmp_path / "switch")}


@pytest.mark.parametrize(
    "switch",
    [{"DJANGO_BEHIND_HTTPS_PROXY": "true"}, {"DJANGO_BEHIND_HTTPS_PROXY": "true "}, "file"],
    ids=["true", "true-with-a-space", "from-a-file"],
)
def test_over_https_without_a_key_gunicorn_refuses_to_start(monkeypatch, tmp_path, switch):
    """The switch is read as the settings read it, in every spelling: no key is made
    for an HTTPS site, which then refuses to start with one line, no traceback."""
    switch = https_switch_files(tmp_path) if switch == "file" else switch
    with pytest.raises(SystemExit) as refused:
        load_conf(monkeypatch, **switch)
    assert str(refused.value).startswith("Greeter can't start: DJANGO_SECRET_KEY or DJANGO_SECRET")


def test_a_mistyped_variable_stops_gunicorn_with_its_name(monkeypatch):
    with pytest.raises(SystemExit, match="DJANGO_BEHIND_HTTPS_PROXY='ture' is neither"):
        load_conf(monkeypatch, DJANGO_BEHIND_HTTPS_PROXY="ture", DJANGO_SECRET_KEY=TEST_KEY)
    with pytest.raises(SystemExit, match="GUNICORN_WORKER_CONNECTIONS='many' can't be read"):
        load_conf(monkeypatch, GUNICORN_WORKER_CONNECTIONS="many")


def test_empty_variables_mean_gunicorns_defaults(monkeypatch):
    empty = {name: "" for name in ("PORT", "WEB_CONCURRENCY", "GUNICORN_WORKER_CONNECTIONS",
                                   "GUNICORN_LOG_LEVEL", "DJANGO_BEHIND_HTTPS_PROXY")}  # fmt: skip
    conf = load_conf(monkeypatch, **empty)
    assert conf["bind"] == "[::]:5000"
    assert conf["workers"] >= 2
    assert conf["worker_connections"] == 1000
    assert conf["loglevel"] == "info"


def test_keep_alive_outlasts_the_proxys_idle_timeout_behind_https(monkeypatch):
    assert load_conf(monkeypatch)["keepalive"] == 2  # clients straight from the network
    behind = load_conf(monkeypatch, DJANGO_BEHIND_HTTPS_PROXY="true", DJANGO_SECRET_KEY=TEST_KEY)
    caddyfile = (BASE_DIR / "deploy/caddy/Caddyfile").read_text()
    [caddy_idle] = re.findall(r"^\s*keepalive (\d+)s$", caddyfile, re.MULTILINE)
    assert behind["keepalive"] > int(caddy_idle)


def test_the_configuration_loads_on_macos(monkeypatch):
    """No sched_getaffinity (Linux only) and no /dev/shm: the CPU count and
    gunicorn's own temp folder instead."""
    monkeypatch.delattr("os.sched_getaffinity", raising=False)  # absent on macOS already
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    real_isdir = os.path.isdir
    monkeypatch.setattr("os.path.isdir", lambda path: path != "/dev/shm" and real_isdir(path))
    conf = load_conf(monkeypatch)
    assert conf["container_cpus"](BASE_DIR / "no-cgroup") == 8
    assert "worker_tmp_dir" not in conf  # gunicorn's default


def test_a_tiny_memory_limit_still_gets_one_worker(tmp_path, monkeypatch):
    conf = load_conf(monkeypatch)
    workers, warning = conf["worker_count"](0, 2, 64 * MIB)
    assert workers == 1
    assert warning


def test_web_concurrency_sets_the_worker_count(monkeypatch):
    assert load_conf(monkeypatch, WEB_CONCURRENCY="7")["workers"] == 7


def test_default_workers_are_never_fewer_than_two(monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0}, raising=False)
    assert load_conf(monkeypatch)["workers"] >= 2


def test_binds_port_5000_on_both_families_unless_port_is_set(monkeypatch):
    assert load_conf(monkeypatch)["bind"] == "[::]:5000"
    assert load_conf(monkeypatch, PORT="8080")["bind"] == "[::]:8080"


def test_a_kernel_without_ipv6_gets_every_ipv4_address(monkeypatch):
    def no_ipv6(family=socket.AF_INET, *args):
        if family == socket.AF_INET6:
            raise OSError(97, "Address family not supported by protocol")
        return real_socket(family, *args)

    real_socket = socket.socket
    monkeypatch.setattr("socket.socket", no_ipv6)
    assert load_conf(monkeypatch)["bind"] == "0.0.0.0:5000"


def test_server_settings_fit_a_read_only_container(monkeypatch):
    real_isdir = os.path.isdir  # a container has /dev/shm, whatever the host running this
    monkeypatch.setattr("os.path.isdir", lambda path: path == "/dev/shm" or real_isdir(path))
    conf = load_conf(monkeypatch)
    assert conf["worker_tmp_dir"] == "/dev/shm"
    assert conf["control_socket_disable"] is True
    assert conf["accesslog"] == "-"
    # gunicorn's own threaded worker, no subclass of it.
    assert (conf["worker_class"], conf["threads"]) == ("gthread", 4)


def test_forwarded_allow_ips_is_left_to_gunicorn(monkeypatch):
    # gunicorn reads FORWARDED_ALLOW_IPS itself (test_proxy_trust.py runs it).
    assert "forwarded_allow_ips" not in load_conf(monkeypatch)


def test_graceful_timeout_ends_before_compose_sends_sigkill(monkeypatch):
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    grace = compose["services"]["web"]["stop_grace_period"]
    assert grace.endswith("s")
    assert load_conf(monkeypatch)["graceful_timeout"] < int(grace.removesuffix("s"))

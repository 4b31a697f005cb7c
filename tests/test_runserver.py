"""`python manage.py runserver` works with no configuration at all, in a fresh
clone (the files git tracks, nothing built or ignored), in every language."""

import os
import subprocess
import sys

import requests

from bench.measure import copy_working_tree, found
from tests.conftest import ROOT, free_port, wait_until


def test_runserver_in_a_fresh_clone_serves_the_form_stylesheet_and_languages(tmp_path):
    copy_working_tree(tmp_path)  # as `git clone` gives it: no .mo unless committed
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=tmp_path,
        env={},  # not even PATH: nothing is configured
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_until(lambda: requests.get(url, timeout=2).ok, timeout=30)
        page = requests.get(f"{url}/", timeout=10)
        assert '<form action="/greet" method="post"' in page.text
        href = found(r'<link rel="stylesheet" href="([^"]+)"', page.text).group(1)
        stylesheet = requests.get(f"{url}{href}", timeout=10)
        assert stylesheet.status_code == 200
        assert "text/css" in stylesheet.headers["Content-Type"]
        arabic = requests.get(f"{url}/", headers={"Accept-Language": "ar"}, timeout=10).text
        assert '<html lang="ar" dir="rtl">' in arabic
        assert "اسمك" in arabic  # "Your name"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_python_below_3_11_is_stopped_with_one_line_naming_it(tmp_path):
    """Ubuntu 22.04's Python 3.10, faked: the interpreter's own version_info
    says 3.10. README's set-up (scripts/venv, which scripts/test runs) stops
    before pip, where it would fail deep inside on a missing distribution."""
    fake = tmp_path / "python3.10"
    fake.write_text(
        "#!/bin/sh\n"
        f"exec {sys.executable} -c \"import sys; sys.version_info = (3, 10, 12, 'final', 0); "
        'exec(sys.argv[1])" "$2"\n'
    )
    fake.chmod(0o755)
    for script in ("scripts/venv", "scripts/test"):
        env = {**os.environ, "PYTHON": str(fake)}
        result = subprocess.run(
            [script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 2, script
        assert result.stderr == (
            f"scripts/venv: Greeter needs Python 3.11 or newer; '{fake}' is 3.10 (set PYTHON=...)\n"
        )

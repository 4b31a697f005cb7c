"""`python manage.py runserver` works with no configuration at all, in a fresh
clone (the files git tracks, nothing built or ignored), in every language."""

import subprocess
import sys

import requests

from bench.measure import copy_working_tree, found
from tests.conftest import free_port, wait_until


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

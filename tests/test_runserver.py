"""`python manage.py runserver` works with no configuration at all."""

import re
import subprocess
import sys

import requests

from tests.conftest import ROOT, free_port, wait_until


def test_runserver_with_an_empty_environment_serves_the_form_and_stylesheet():
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={},  # not even PATH: nothing is configured
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_until(lambda: requests.get(url, timeout=2).ok, timeout=30)
        page = requests.get(f"{url}/", timeout=10)
        assert '<form action="/greet" method="post"' in page.text
        href = re.search(r'<link rel="stylesheet" href="([^"]+)"', page.text).group(1)
        stylesheet = requests.get(f"{url}{href}", timeout=10)
        assert stylesheet.status_code == 200
        assert "text/css" in stylesheet.headers["Content-Type"]
    finally:
        server.terminate()
        server.wait(timeout=10)

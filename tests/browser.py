"""Headless Chromium for the browser tests and scripts/quality.

Debian's Chromium (apt-get install chromium), driven by Playwright: Playwright's
own browser download is not used. CHROME_PATH overrides the executable.
"""

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = os.environ.get("CHROME_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# No sandbox: CI runs as root. The rest keep Chromium off the network: this
# machine reaches no Google service, and tests must not depend on one.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# Chrome reports an HTTP error status of the page itself in the console. The
# form with an error answers 422 and a refused CSRF check 403 by design; that
# entry, and only that one, is not a fault of the page.
EXPECTED_STATUS_MESSAGE = "Failed to load resource: the server responded with a status of {}"


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def chromium_available():
    return Path(CHROMIUM).exists()


def first_visit_bytes(browser, url):
    """Bytes a first visit transfers (headers and encoded bodies), with every
    resource the page loads: HTML, stylesheet, favicon."""
    context = browser.new_context()
    page = context.new_page()
    responses = []
    page.on("requestfinished", lambda request: responses.append(request))
    page.goto(url, wait_until="networkidle")
    page.wait_for_timeout(500)  # the favicon is requested after load
    sizes = {}
    for request in responses:
        size = request.sizes()
        sizes[request.url] = size["responseHeadersSize"] + size["responseBodySize"]
    context.close()
    return sizes

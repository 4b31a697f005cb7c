"""Headless Chromium for the browser tests and scripts/quality.

Debian's Chromium (apt-get install chromium), driven by Playwright: Playwright's
own browser download is not used. CHROME_PATH overrides the executable.
"""

import os
import shutil
import subprocess
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
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


def launch(playwright, home=None):
    """Chromium; with `home`, as a user whose $HOME is there (its NSS store)."""
    env = {**os.environ, "HOME": str(home)} if home else None
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=env)


def home_trusting(root_certificate, home):
    """A $HOME whose NSS store trusts a local CA, the way a person adds one:
    Chromium on Linux reads $HOME/.pki/nssdb (certutil: Debian's libnss3-tools)."""
    nssdb = Path(home) / ".pki" / "nssdb"
    nssdb.mkdir(parents=True, exist_ok=True)
    store = f"sql:{nssdb}"
    subprocess.run(["certutil", "-d", store, "-N", "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-d", store, "-A", "-t", "C,,", "-n", "Caddy local root",
         "-i", str(root_certificate)],
        check=True,
    )  # fmt: skip
    return Path(home)


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


class Visit:
    """One browser tab, recording what a person would not want to see:
    console errors and warnings (CSP violations among them), script errors
    and dialogs."""

    def __init__(self, browser, url):
        self.url = url
        self.context = browser.new_context(viewport=VIEWPORTS["desktop"])
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.console.append(f"page error: {error}"))
        self.page.on("dialog", self._dialog)
        self.expected_statuses = set()

    def _console(self, message):
        if message.type in ("error", "warning"):
            self.console.append(message.text)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, path="/"):
        self.page.goto(f"{self.url}{path}")

    def submit(self, name, *, key=None):
        field = self.page.get_by_label("Your name")
        field.fill(name)
        if key:
            field.press(key)
        else:
            self.page.get_by_role("button", name="Say hello").click()
        self.page.wait_for_load_state()

    def expect_status(self, status):
        self.expected_statuses.add(status)

    def unexpected_console(self):
        allowed = {EXPECTED_STATUS_MESSAGE.format(status) for status in self.expected_statuses}
        return [text for text in self.console if not any(text.startswith(a) for a in allowed)]

    def screenshot(self, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width, viewport in VIEWPORTS.items():
            self.page.set_viewport_size(viewport)
            self.page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
        self.page.set_viewport_size(VIEWPORTS["desktop"])

    def accessibility_violations(self):
        return Axe().run(self.page).response["violations"]

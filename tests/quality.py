"""Prints axe-core violations of each page state and the first visit's bytes.

    python -m tests.quality [BASE_URL]      (scripts/quality runs it)

Exits 1 when a page has a violation or the first visit exceeds 8 KB.
"""

import sys

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

from tests.browser import first_visit_bytes, launch

FIRST_VISIT_LIMIT = 8 * 1024


def submit(page, name):
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Say hello").click()
    page.wait_for_load_state()


def page_states(page, url):
    """Yields (name, page) for each state a visitor sees."""
    page.goto(f"{url}/")
    yield "form", page
    submit(page, "Ada")
    yield "greeting", page
    page.goto(f"{url}/")
    submit(page, "")
    yield "form with error", page
    page.goto(f"{url}/no-such-page")
    yield "not found", page


def main(url):
    failed = False
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        print("| page | axe-core violations |\n|---|---|")
        for name, state in page_states(page, url):
            violations = Axe().run(state).response["violations"]
            print(f"| {name} | {len(violations)} {' '.join(v['id'] for v in violations)} |")
            failed |= bool(violations)
        sizes = first_visit_bytes(browser, f"{url}/")
        browser.close()
    total = sum(sizes.values())
    print(f"\nFirst visit: {total} bytes transferred (limit {FIRST_VISIT_LIMIT})")
    for resource, size in sizes.items():
        print(f"  {size:6d}  {resource.removeprefix(url)}")
    return 1 if failed or total > FIRST_VISIT_LIMIT else 0


if __name__ == "__main__":
    sys.exit(main((sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000").rstrip("/")))

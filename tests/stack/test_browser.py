"""The form in a real browser (Debian's Chromium through Playwright) over HTTPS
through Caddy, as production serves it, Chromium trusting Caddy's local root.
Each state is screenshotted at a desktop and a phone width into
artifacts/screenshots/ (README's pictures come from there)."""

import re

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support import Visit, chromium

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def browser(production, tmp_path_factory):
    with sync_playwright() as playwright:
        browser = chromium(playwright, production.root, tmp_path_factory.mktemp("home"))
        yield browser
        browser.close()


@pytest.fixture
def visit(browser, production):
    visit = Visit(browser, production.https_url)
    yield visit
    assert visit.unexpected_console() == [], "console errors or CSP violations"
    assert visit.dialogs == [], "a dialog opened"
    visit.context.close()


def assert_accessible(visit):
    assert visit.accessibility_violations() == []


def test_typing_a_name_and_pressing_the_button_greets(visit):
    visit.open()
    assert_accessible(visit)
    visit.screenshot("form")
    visit.submit("Ada Lovelace")
    expect(visit.page.locator("h1")).to_have_text(
        "Hello Ada Lovelace, Welcome to this app for Docker Demonstration."
    )
    assert_accessible(visit)
    visit.screenshot("greeting")


def test_pressing_enter_in_the_field_submits_the_form(visit):
    visit.open()
    visit.submit("Grace", key="Enter")
    expect(visit.page.locator("h1")).to_contain_text("Hello Grace, Welcome")


def test_keyboard_reaches_the_field_then_the_button_with_visible_focus(visit):
    visit.open()
    page = visit.page
    page.keyboard.press("Tab")
    expect(page.get_by_label("Your name")).to_be_focused()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Say hello")).to_be_focused()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    visit.screenshot("focus-on-button")
    page.get_by_label("Your name").fill("Keyboard")
    page.get_by_role("button", name="Say hello").focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Hello Keyboard, Welcome")


@pytest.mark.parametrize(
    ("typed", "message", "shot"),
    [
        ("   ", "Please enter your name.", "error-blank"),
        ("n" * 101, "Please use at most 100 characters; this name has 101.", "error-too-long"),
    ],
)
def test_invalid_name_error_is_beside_the_field_announced_and_keeps_the_input(
    visit, typed, message, shot
):
    visit.open()
    visit.expect_status(422)
    visit.submit(typed)
    field = visit.page.get_by_label("Your name")
    expect(field).to_have_attribute("aria-invalid", "true")
    described_by = field.get_attribute("aria-describedby")
    expect(visit.page.locator(f"#{described_by}")).to_have_text(message)
    expect(field).to_have_accessible_description(message)
    expect(field).to_have_value(typed)  # nothing typed is lost
    assert_accessible(visit)
    visit.screenshot(shot)


def test_hostile_name_is_shown_as_text_and_no_dialog_opens(visit):
    visit.open()
    visit.submit(HOSTILE)
    expect(visit.page.locator("h1")).to_have_text(
        f"Hello {HOSTILE}, Welcome to this app for Docker Demonstration."
    )
    assert visit.page.locator("main img").count() == 0
    visit.screenshot("greeting-hostile-name")


def test_link_on_the_greeting_leads_back_to_an_empty_form(visit):
    visit.open()
    visit.submit("Ada")
    visit.page.get_by_role("link", name="Greet someone else").click()
    expect(visit.page).to_have_url(f"{visit.url}/")
    expect(visit.page.get_by_label("Your name")).to_have_value("")


def test_expired_form_is_explained_and_keeps_the_name(visit):
    visit.open()
    visit.context.clear_cookies()  # as if the CSRF cookie had been lost
    visit.expect_status(403)
    visit.submit("Ada")
    expect(visit.page.get_by_role("alert")).to_contain_text("allow cookies")
    expect(visit.page.get_by_label("Your name")).to_have_value("Ada")
    assert_accessible(visit)
    visit.screenshot("expired-form")
    visit.submit("Ada")  # the page set a fresh cookie: one more press works
    expect(visit.page.locator("h1")).to_contain_text("Hello Ada, Welcome")


def test_not_found_page_is_accessible(visit):
    visit.expect_status(404)
    visit.open("/no-such-page")
    expect(visit.page.locator("h1")).to_have_text("Page not found")
    assert_accessible(visit)
    visit.screenshot("not-found")


def test_arabic_is_chosen_with_the_selector_and_laid_out_right_to_left(visit):
    visit.open()
    visit.page.locator('button[name="language"][value="ar"]').click()
    html = visit.page.locator("html")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    label = visit.page.get_by_text("اسمك", exact=True).bounding_box()
    field = visit.page.get_by_label("اسمك").bounding_box()
    # Right to left: the label starts at the field's right edge, not its left.
    assert abs((label["x"] + label["width"]) - (field["x"] + field["width"])) < 2
    visit.page.get_by_label("اسمك").fill("سارة")
    visit.page.get_by_role("button", name="قل مرحبًا").click()
    expect(visit.page.locator("h1")).to_contain_text("سارة")
    assert_accessible(visit)
    visit.screenshot("greeting-arabic")


def test_a_first_visit_transfers_at_most_8_kb(visit):
    """HTML, stylesheet and favicon, headers and encoded bodies."""
    finished = []
    visit.page.on("requestfinished", lambda request: finished.append(request))
    visit.open()
    visit.page.wait_for_timeout(500)  # the favicon is asked for after load
    sizes = {
        r.url: r.sizes()["responseHeadersSize"] + r.sizes()["responseBodySize"] for r in finished
    }
    assert any(url.endswith(".css") for url in sizes)
    assert any(re.search(r"favicon\.\w+\.svg$", url) for url in sizes)
    assert sum(sizes.values()) <= 8 * 1024, sizes


def test_dark_colour_scheme_is_accessible(visit):
    visit.page.emulate_media(color_scheme="dark")
    visit.open()
    background = visit.page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert background == "rgb(21, 24, 28)"  # the dark palette is in use
    assert_accessible(visit)
    visit.expect_status(422)
    visit.submit("")
    assert_accessible(visit)
    visit.screenshot("error-blank-dark")

"""Greetings in the visitor's language, over HTTP against the running container."""

import re

import pytest
import requests

from bench.measure import found
from tests.conftest import ROOT, csrf_token, greet

NAME = "<b>Ada</b>"
ESCAPED = "&lt;b&gt;Ada&lt;/b&gt;"
# Each language: its direction, its form heading, and its greeting (name escaped).
LANGUAGES = {
    "en": (
        "ltr",
        "Hello! What is your name?",
        f"Hello {ESCAPED}, Welcome to this app for Docker Demonstration.",
    ),
    "es": (
        "ltr",
        "¡Hola! ¿Cómo te llamas?",
        f"Hola {ESCAPED}, bienvenido a esta aplicación de demostración de Docker.",
    ),
    "fr": (
        "ltr",
        "Bonjour\u00a0! Comment vous appelez-vous\u00a0?",
        f"Bonjour {ESCAPED}, bienvenue dans cette application de démonstration Docker.",
    ),
    "de": (
        "ltr",
        "Hallo! Wie heißen Sie?",
        f"Hallo {ESCAPED}, willkommen in dieser App zur Docker-Demonstration.",
    ),
    "hi": (
        "ltr",
        "नमस्ते! आपका नाम क्या है?",
        f"नमस्ते {ESCAPED}, Docker प्रदर्शन के लिए बने इस ऐप में आपका स्वागत है।",
    ),
    "ar": (
        "rtl",
        "مرحبًا! ما اسمك؟",
        f"مرحبًا \u2068{ESCAPED}\u2069، أهلًا بك في هذا التطبيق لعرض Docker.",
    ),
}


def html_tag(html):
    return found(r"<html [^>]*>", html).group(0)


@pytest.mark.container
@pytest.mark.parametrize("language", LANGUAGES)
def test_accept_language_chooses_the_page_language(stack, language):
    direction, heading, greeting = LANGUAGES[language]
    session = requests.Session()
    session.headers["Accept-Language"] = f"{language},en;q=0.5"
    page = session.get(f"{stack.url}/", timeout=10)
    assert html_tag(page.text) == f'<html lang="{language}" dir="{direction}">'
    assert f"<h1>{heading}</h1>" in page.text
    assert "Accept-Language" in page.headers["Vary"]
    assert greeting in greet(stack.url, NAME, session).text


@pytest.mark.container
@pytest.mark.parametrize("language", LANGUAGES)
def test_language_selector_switches_without_javascript(stack, language):
    direction, heading, greeting = LANGUAGES[language]
    session = requests.Session()
    session.headers["Accept-Language"] = "de" if language != "de" else "fr"
    form = session.get(f"{stack.url}/", timeout=10)
    # What the selector's button submits: a plain form post, no script.
    chosen = session.post(
        f"{stack.url}/i18n/setlang/",
        data={"language": language, "next": "/", "csrfmiddlewaretoken": csrf_token(form.text)},
        timeout=10,
    )
    assert chosen.url == f"{stack.url}/"  # redirected back to the form
    assert session.cookies["django_language"] == language
    assert html_tag(chosen.text) == f'<html lang="{language}" dir="{direction}">'
    assert f"<h1>{heading}</h1>" in chosen.text
    assert greeting in greet(stack.url, NAME, session).text


@pytest.mark.container
def test_every_language_is_offered_by_the_selector(stack):
    html = requests.get(f"{stack.url}/", timeout=10).text
    offered = re.findall(r'<button type="submit" name="language" value="(\w+)" lang="\1"', html)
    assert offered == list(LANGUAGES)


def test_the_languages_offered_are_english_and_each_locale_folder():
    """The image keeps Django's catalogues of these languages alone (Dockerfile:
    English and the folders in greeter/locale), so they must be settings.LANGUAGES."""
    from django.conf import settings

    folders = {path.name for path in (ROOT / "greeter/locale").iterdir() if path.is_dir()}
    assert {code for code, _ in settings.LANGUAGES} == {"en", *folders}

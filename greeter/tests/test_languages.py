"""Greetings in the visitor's language: by Accept-Language and by the selector,
a plain form post (no script). The .mo files in git are what the image ships;
a hook keeps them in step with their sources (scripts/check-translations)."""

import re

import pytest
from django.conf import settings
from django.test import Client

from tests.support import ROOT, csrf_token

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
    return re.search(r"<html [^>]*>", html)[0]


def greeted(client, name):
    token = csrf_token(client.get("/").content.decode())
    return client.post("/greet", {"username": name, "csrfmiddlewaretoken": token}).content.decode()


@pytest.mark.parametrize("language", LANGUAGES)
def test_accept_language_chooses_the_page_language(language):
    direction, heading, greeting = LANGUAGES[language]
    client = Client(enforce_csrf_checks=True, headers={"accept-language": f"{language},en;q=0.5"})
    page = client.get("/")
    assert html_tag(page.content.decode()) == f'<html lang="{language}" dir="{direction}">'
    assert f"<h1>{heading}</h1>" in page.content.decode()
    assert "Accept-Language" in page.headers["Vary"]
    assert greeting in greeted(client, NAME)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_selector_switches_the_language_without_a_script(language):
    direction, heading, greeting = LANGUAGES[language]
    client = Client(
        enforce_csrf_checks=True, headers={"accept-language": "de" if language != "de" else "fr"}
    )
    form = client.get("/").content.decode()
    offered = re.findall(r'<button type="submit" name="language" value="(\w+)" lang="\1"', form)
    assert offered == list(LANGUAGES)
    chosen = client.post(
        "/i18n/setlang/",
        {"language": language, "next": "/", "csrfmiddlewaretoken": csrf_token(form)},
        follow=True,
    )
    assert client.cookies["django_language"].value == language
    assert html_tag(chosen.content.decode()) == f'<html lang="{language}" dir="{direction}">'
    assert f"<h1>{heading}</h1>" in chosen.content.decode()
    assert greeting in greeted(client, NAME)


def test_the_languages_offered_are_english_and_each_locale_folder():
    """The image keeps Django's catalogues of these alone (Dockerfile)."""
    folders = {path.name for path in (ROOT / "greeter/locale").iterdir() if path.is_dir()}
    assert {code for code, _ in settings.LANGUAGES} == {"en", *folders}

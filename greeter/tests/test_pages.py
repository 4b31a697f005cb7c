"""greeter/pages.py fills per-visitor values into pages rendered once per
language: the result must be exactly what rendering the template with those
values gives, escaping included, for any name, any path and every language."""

from unittest import mock

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from greeter.views import FORM_PAGE, GREETING_PAGE

TOKEN = "T0k3n" * 12 + "abcd"  # what get_token returns here: 64 letters and digits
LANGUAGES = [code for code, _ in settings.LANGUAGES]
# Characters a query string keeps after Django's iri_to_uri, and HTML must escape.
QUERIES = st.text(alphabet="a=&'<>\"x1é", max_size=20)


def filled_and_rendered(page, path, language, **values):
    request = RequestFactory().get(path)
    with translation.override(language), mock.patch("greeter.pages.get_token", return_value=TOKEN):
        filled = page.render(request, **values)
        context = {"csrf_token": TOKEN, "return_path": request.get_full_path(), **values}
        rendered = render_to_string(page.template_name, {**page.context(), **context})
    return filled, rendered


@pytest.mark.parametrize("language", LANGUAGES)
@hypothesis_settings(max_examples=60, deadline=None)
@given(name=st.text(max_size=120), query=QUERIES)
def test_greeting_filled_in_is_the_template_rendered_with_the_name(language, name, query):
    filled, rendered = filled_and_rendered(GREETING_PAGE, f"/greet?{query}", language, name=name)
    assert filled == rendered


@pytest.mark.parametrize("language", LANGUAGES)
@hypothesis_settings(max_examples=20, deadline=None)
@given(query=QUERIES)
def test_form_page_filled_in_is_the_template_rendered(language, query):
    filled, rendered = filled_and_rendered(FORM_PAGE, f"/?{query}", language)
    assert filled == rendered


def test_a_markup_name_is_escaped_like_autoescape_does():
    filled, _ = filled_and_rendered(GREETING_PAGE, "/greet", "en", name="<b>\"Ada\" & 'Bo'</b>")
    assert "Hello &lt;b&gt;&quot;Ada&quot; &amp; &#x27;Bo&#x27;&lt;/b&gt;, Welcome" in filled
    assert "<b>" not in filled


def test_each_language_is_rendered_once_and_kept():
    GREETING_PAGE.pieces.cache_clear()
    with mock.patch("greeter.pages.render_to_string", wraps=render_to_string) as render:
        for language in ("en", "de", "en", "de", "ar"):
            filled_and_rendered(GREETING_PAGE, "/", language, name="A")
    assert render.call_count == 3  # en, de, ar: once each

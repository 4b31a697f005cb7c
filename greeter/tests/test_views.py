import re

import pytest
from django.utils.html import escape
from pytest_django.asserts import assertTemplateUsed

from greeter.tests.test_forms import UNICODE_NAMES

GREETING = "Hello {}, Welcome to this app for Docker Demonstration."


def test_form_page_renders_the_form_with_a_csrf_token(client):
    response = client.get("/")
    assert response.status_code == 200
    assertTemplateUsed(response, "greeter/index.html")
    html = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<form action="/greet" method="post"' in html
    assert '<label for="id_username">Your name</label>' in html
    assert '<button type="submit">' in html
    assert "csrftoken" in response.cookies


def test_head_of_the_form_page_answers_without_a_body(client):
    response = client.head("/")
    assert response.status_code == 200
    assert response.content == b""


def test_valid_name_is_greeted_with_the_seeds_sentence(client):
    response = client.post("/greet", {"username": "  Ada  "})
    assert response.status_code == 200
    assertTemplateUsed(response, "greeter/greeting.html")
    html = response.content.decode()
    assert GREETING.format("Ada") in html
    assert '<a href="/">' in html  # the way back to the form


def test_script_in_a_name_is_shown_as_text_not_markup(client):
    name = "<script>alert('x')</script>"
    html = client.post("/greet", {"username": name}).content.decode()
    assert "<script>" not in html
    assert GREETING.format("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;") in html


def test_attribute_breaking_name_is_escaped_in_the_title_too(client):
    html = client.post("/greet", {"username": '"><img src=x onerror=alert(1)>'}).content.decode()
    assert "<img" not in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.parametrize("name", UNICODE_NAMES)
def test_unicode_names_are_greeted_exactly(client, name):
    response = client.post("/greet", {"username": name})
    assert response.status_code == 200
    assert GREETING.format(name) in response.content.decode()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Please enter your name."),
        ("   ", "Please enter your name."),
        ("x" * 101, "Please use at most 100 characters; this name has 101."),
        ("Ada\x1bLovelace", "invisible control character"),
    ],
)
def test_invalid_name_reshows_the_form_with_the_error_and_the_input(client, typed, message):
    response = client.post("/greet", {"username": typed})
    assert response.status_code == 422
    assertTemplateUsed(response, "greeter/index.html")
    html = response.content.decode()
    assert '<p class="error" id="id_username-error">' in html
    assert message in html
    assert 'aria-invalid="true" aria-describedby="id_username-error"' in html
    assert f'value="{escape(typed)}"' in html  # what was typed is kept, as typed


def test_get_of_the_greeting_url_goes_back_to_the_form(client):
    response = client.get("/greet")
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_not_allowed(client, method):
    assert getattr(client, method)("/").status_code == 405
    assert getattr(client, method)("/greet").status_code == 405


def test_post_without_csrf_token_is_refused_but_keeps_the_name(csrf_client):
    response = csrf_client.post("/greet", {"username": "Ada"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "allow cookies" in html
    assert 'value="Ada"' in html  # nothing typed is lost
    assert "csrftoken" in response.cookies  # a fresh cookie: the next press succeeds


def test_post_with_the_forms_token_and_cookie_is_greeted(csrf_client):
    form_page = csrf_client.get("/").content.decode()
    # The token the page carries, as a browser posts it (one page can hold two forms).
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', form_page))
    assert len(tokens) == 1
    response = csrf_client.post("/greet", {"username": "Ada", "csrfmiddlewaretoken": tokens.pop()})
    assert response.status_code == 200
    assert GREETING.format("Ada") in response.content.decode()


def test_post_with_a_forged_token_is_refused(csrf_client):
    csrf_client.get("/")
    response = csrf_client.post("/greet", {"username": "Ada", "csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_unsafe_methods_without_a_token_get_the_plain_refusal(csrf_client, method):
    response = getattr(csrf_client, method)("/greet")
    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in response.content.decode()


def test_invalid_utf8_in_the_body_is_rejected_with_a_message(client):
    response = client.post(
        "/greet", b"username=Ada%FF%FE", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 422
    assert "could not be read" in response.content.decode()

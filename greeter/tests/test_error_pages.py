"""Errors get a friendly page in the site's look, never a traceback."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client


def assert_friendly_page(response, status, heading):
    assert response.status_code == status
    html = response.content.decode()
    assert f"<h1>{heading}</h1>" in html
    assert 'rel="stylesheet" href="/static/greeter/greeter.' in html  # the site's look
    assert '<a href="/">Back to the form</a>' in html
    assert "Traceback" not in html


def test_unknown_page_gets_the_not_found_page(client):
    assert_friendly_page(client.get("/no-such-page"), 404, "Page not found")


def test_disallowed_host_gets_the_bad_request_page():
    assert_friendly_page(Client(headers={"host": "evil.example"}).get("/"), 400, "Bad request")


def test_too_many_form_fields_get_the_bad_request_page(client):
    fields = {f"field{i}": "x" for i in range(2000)}
    assert_friendly_page(client.post("/greet", fields), 400, "Bad request")


@pytest.mark.urls("greeter.tests.team_urls")
def test_a_failing_view_gets_the_error_page_without_details():
    response = Client(raise_request_exception=False).get("/fails")
    assert_friendly_page(response, 500, "Something went wrong")
    assert "a bug in a view" not in response.content.decode()


def test_csrf_failure_page_explains_cookies_and_reload(csrf_client):
    response = csrf_client.post("/greet", {"username": "Ada"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "allow cookies for this site and reload the page" in html
    assert 'role="alert"' in html


def test_an_expired_language_switch_says_the_language_did_not_change(csrf_client):
    response = csrf_client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "the language did not change: choose it again" in html
    assert "kept below" not in html  # no name was typed
    assert "csrftoken" in response.cookies  # the next choice will be accepted


def test_an_expired_form_without_a_name_does_not_claim_to_keep_one(csrf_client):
    html = csrf_client.post("/greet", {"username": ""}).content.decode()
    assert "press the button again" in html
    assert "kept below" not in html


def test_an_expired_form_keeps_the_typed_name(csrf_client):
    html = csrf_client.post("/greet", {"username": "Ada"}).content.decode()
    assert "Your name is kept below" in html
    assert 'value="Ada"' in html


def test_a_body_over_the_limit_gets_the_bad_request_page(client):
    response = client.post("/greet", {"username": "x" * (300 * 1024)})
    assert_friendly_page(response, 400, "Bad request")


def test_file_uploads_are_refused(client):
    upload = SimpleUploadedFile("big.bin", b"x" * 1024)
    assert_friendly_page(
        client.post("/greet", {"username": "Ada", "f": upload}), 400, "Bad request"
    )

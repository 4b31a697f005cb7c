"""What a team adds the documented Django way works on every page: a context
processor, `request` in a template, django-csp's decorators and nonce."""

from typing import Any

import pytest
from csp.constants import NONCE, SELF
from csp.decorators import csp_exempt, csp_replace, csp_update
from django.conf import settings
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import include, path
from django_permissions_policy.decorators import permissions_policy_override

from tests.support import ROOT

LANGUAGES = [code for code, _ in settings.LANGUAGES]
BANNER = '{% if request.GET.banner == "on" %}<p id="banner">{{ team_name }}</p>{% endif %}'


def team_name(request):
    """A context processor such as a team adds."""
    return {"team_name": "Team Banner"}


@pytest.fixture
def extended_base(tmp_path):
    """greeter/base.html with a banner that uses a context processor's value
    and a request value, as a team would add it."""
    base = (ROOT / "greeter/templates/greeter/base.html").read_text()
    (tmp_path / "greeter").mkdir()
    (tmp_path / "greeter/base.html").write_text(base.replace("<body>", f"<body>{BANNER}"))
    engine: dict[str, Any] = settings.TEMPLATES[0]
    processors = [
        *engine["OPTIONS"]["context_processors"],
        "django.template.context_processors.request",
        "greeter.tests.test_extending.team_name",
    ]
    options = {**engine["OPTIONS"], "context_processors": processors}
    # Django's test signals rebuild the template engines when TEMPLATES changes.
    with override_settings(TEMPLATES=[{**engine, "DIRS": [tmp_path], "OPTIONS": options}]):
        yield


def pages(language):
    """Every page a visitor meets: the form, the greeting, the form with an
    error (422), and the form re-shown after a failed CSRF check (403)."""
    client = Client(headers={"accept-language": language})
    yield "form", client.get("/?banner=on")
    yield "greeting", client.post("/greet?banner=on", {"username": "Ada"})
    yield "error", client.post("/greet?banner=on", {"username": ""})
    strict = Client(enforce_csrf_checks=True, headers={"accept-language": language})
    yield "csrf failure", strict.post("/greet?banner=on", {"username": "Ada"})


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_context_processor_and_a_request_value_show_on_every_page(extended_base, language):
    for name, response in pages(language):
        html = response.content.decode()
        assert '<p id="banner">Team Banner</p>' in html, (name, response.status_code)
        assert f'<html lang="{language}"' in html, name
    without = Client().get("/").content.decode()
    assert 'id="banner"' not in without  # the {% if %} is really evaluated


@csp_update({"img-src": ["https://images.example"]})
def updated(request):
    return HttpResponse("updated")


@csp_replace({"style-src": ["https://styles.example"]})
def replaced(request):
    return HttpResponse("replaced")


@csp_exempt()
def exempt(request):
    return HttpResponse("exempt")


@permissions_policy_override(
    {**settings.PERMISSIONS_POLICY, "geolocation": ["self"], "fullscreen": ["self"]}
)
def locates(request):
    """A team's map page: geolocation and fullscreen for this site, the rest unchanged."""
    return HttpResponse("a map")


def nonce(request):
    return HttpResponse(f"nonce {request.csp_nonce}")


def team_page(request):
    """A team's own view, as it would add one: no decorator."""
    return HttpResponse("<script src='/static/team.js'></script>")


urlpatterns = [
    path("updated", updated),
    path("replaced", replaced),
    path("exempt", exempt),
    path("nonce", nonce),
    path("map", locates),
    path("team/page", team_page),
    path("team/form", team_page),  # a POST without a token never reaches it
    path("", include("project.urls")),
]


@pytest.fixture
def team_site():
    with override_settings(ROOT_URLCONF="greeter.tests.test_extending"):
        yield Client(enforce_csrf_checks=True)


def test_a_teams_page_runs_this_sites_scripts_but_no_inline_or_foreign_one(team_site):
    directives = team_site.get("/team/page")["Content-Security-Policy"].split("; ")
    assert "script-src 'self'" in directives
    assert "default-src 'none'" in directives
    assert not [d for d in directives if "unsafe" in d or "*" in d or "http" in d]
    greeter = team_site.get("/")["Content-Security-Policy"]
    assert "script-src" not in greeter  # Greeter's pages: default-src 'none' for scripts too


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "CSRF verification failed"), ("de", "CSRF-Verifizierung fehlgeschlagen")],
)
def test_a_csrf_failure_outside_greeters_forms_gets_djangos_page(team_site, language, words):
    refused = team_site.post(
        "/team/form", {"username": "site-admin"}, headers={"accept-language": language}
    )
    assert refused.status_code == 403
    html = refused.content.decode()
    assert words in html
    assert "site-admin" not in html  # Greeter's form would have kept the typed name
    assert 'name="username"' not in html


@pytest.fixture
def csp_views():
    directives = {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "script-src": [SELF, NONCE]}
    nonce_policy = {"DIRECTIVES": directives}
    with override_settings(
        ROOT_URLCONF="greeter.tests.test_extending", CONTENT_SECURITY_POLICY=nonce_policy
    ):
        yield Client()


def test_django_csp_decorators_change_the_policy_of_their_view(csp_views):
    policy = "Content-Security-Policy"
    assert "img-src 'self' https://images.example" in csp_views.get("/updated")[policy]
    assert "style-src https://styles.example" in csp_views.get("/replaced")[policy]
    assert policy not in csp_views.get("/exempt").headers


def test_a_views_csp_nonce_is_in_its_policy(csp_views):
    response = csp_views.get("/nonce")
    value = response.content.decode().removeprefix("nonce ")
    assert f"'nonce-{value}'" in response.headers["Content-Security-Policy"]


def test_a_view_loosens_the_permissions_policy_with_the_librarys_decorator(csp_views):
    """The decorator replaces the site's policy for its view, so a team starts
    from settings.PERMISSIONS_POLICY and allows the features it needs."""
    policy = csp_views.get("/map")["Permissions-Policy"]
    assert "geolocation=(self)" in policy
    assert "fullscreen=(self)" in policy
    assert "camera=()" in policy  # the rest of the site's, carried over
    assert "geolocation=()" in csp_views.get("/")["Permissions-Policy"]


@override_settings(LANGUAGES=[*settings.LANGUAGES, ("x-pirate", "Pirate")])
def test_a_language_django_does_not_know_serves_every_page_with_its_name(client):
    form = client.get("/").content.decode()
    assert '<button type="submit" name="language" value="x-pirate" lang="x-pirate">Pirate' in form
    assert client.post("/greet", {"username": "Ada"}).status_code == 200
    assert client.post("/greet", {"username": ""}).status_code == 422
    assert client.get("/no-such-page").status_code == 404
    assert client.post("/i18n/setlang/", {"language": "x-pirate", "next": "/"}).status_code == 302
    # Without a catalog in greeter/locale Django keeps English: the page still answers.
    assert client.get("/").status_code == 200


def test_a_form_as_large_as_the_admins_bulk_actions_is_accepted(client):
    fields = {f"field{number}": "x" for number in range(299)}  # 300 with the name
    assert client.post("/greet", {"username": "Ada", **fields}).status_code == 200

from csp.decorators import csp_replace
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import csrf
from django.views.decorators.http import require_http_methods, require_safe

from greeter.forms import GreetingForm

# Greeter's pages run no script at all: they take back the site's script-src
# (project/settings.py), so that not even this site's own scripts can run here.
no_scripts = csp_replace({"script-src": None})


@no_scripts
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "greeter/index.html", {"form": GreetingForm()})


@no_scripts
@require_http_methods(["GET", "HEAD", "POST"])
def greet(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        # A bookmarked or reloaded /greet has no name to greet: back to the form.
        return redirect("greeter:index")
    form = GreetingForm(request.POST)
    if not form.is_valid():
        # The same page, with the errors beside the field and the input kept.
        return render(request, "greeter/index.html", {"form": form}, status=422)
    return render(request, "greeter/greeting.html", {"name": form.cleaned_data["username"]})


@no_scripts
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The CSRF check failed (no cookie, stale token) on one of Greeter's URLs
    (its form, its language switch): say what happened and ask again, keeping the name that was
    typed. Any other URL (the admin's, a team's) gets Django's own page.

    Rendering the form sets a fresh CSRF cookie, so one more press of the button
    succeeds as long as the browser accepts cookies, which the notice explains.
    """
    greeters = (reverse("greeter:index"), reverse("greeter:greet"), reverse("set_language"))
    if request.path not in greeters:
        return csrf.csrf_failure(request, reason)
    if request.method != "POST":
        # PUT, DELETE and other unsafe methods: not a form, nothing to re-show.
        return render(request, "403.html", status=403)
    typed = request.POST.get("username", "")
    if request.path == reverse("set_language"):
        notice = _(
            "Your page had expired, so the language did not change: choose it again. "
            "If this keeps happening, allow cookies for this site and reload the page."
        )
    elif typed:
        notice = _(
            "Your form had expired or your browser did not send its security cookie. "
            "Your name is kept below: press the button again. If this keeps happening, "
            "allow cookies for this site and reload the page."
        )
    else:
        notice = _(
            "Your form had expired or your browser did not send its security cookie: "
            "press the button again. If this keeps happening, allow cookies for this site "
            "and reload the page."
        )
    form = GreetingForm(initial={"username": typed})
    return render(request, "greeter/index.html", {"form": form, "notice": notice}, status=403)

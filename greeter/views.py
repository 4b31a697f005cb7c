from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from greeter.forms import GreetingForm


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "greeter/index.html", {"form": GreetingForm()})


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


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The CSRF check failed (no cookie, stale token): say what happened and ask
    again, keeping the name that was typed.

    Rendering the form sets a fresh CSRF cookie, so one more press of the button
    succeeds as long as the browser accepts cookies, which the notice explains.
    """
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

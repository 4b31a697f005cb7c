from django.urls import include, path
from django.views import defaults

from greeter.views import no_scripts

urlpatterns = [
    # set_language: the language selector posts here and gets the language cookie.
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("greeter.urls")),
]

# Django's error views with Greeter's templates, and its strict policy: no script.
# (django-csp types its decorators for views of one argument; these also take
# the exception.)
handler400 = no_scripts(defaults.bad_request)  # type: ignore[arg-type]
handler403 = no_scripts(defaults.permission_denied)  # type: ignore[arg-type]
handler404 = no_scripts(defaults.page_not_found)  # type: ignore[arg-type]
handler500 = no_scripts(defaults.server_error)

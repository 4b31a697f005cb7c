"""Greeter's URLs plus one view that fails, to see the 500 page."""

from django.urls import include, path


def broken_view(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [
    path("broken", broken_view),
    path("", include("greeter.urls")),
]

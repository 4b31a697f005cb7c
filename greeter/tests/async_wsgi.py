"""Greeter with two views a team adds first, for
greeter/tests/test_worker_class.py: an async view that awaits, and a sync one
that calls a function under Django's async_unsafe, as every database connect
and cursor does."""

import asyncio
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django.setup()

from django.conf import settings  # noqa: E402 (after setup, as Django requires)
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils.asyncio import async_unsafe  # noqa: E402


async def waits(request: HttpRequest) -> HttpResponse:
    await asyncio.sleep(2)
    return HttpResponse("waited")


@async_unsafe
def like_a_database_query() -> str:
    return "queried"


def queries(request: HttpRequest) -> HttpResponse:
    return HttpResponse(like_a_database_query())


urlpatterns = [
    path("waits", waits),
    path("queries", queries),
    path("", include("greeter.urls")),
]
settings.ROOT_URLCONF = __name__
application = get_wsgi_application()

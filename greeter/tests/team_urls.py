"""Greeter's URLs plus the views a team adds first (team_settings.py): an async
view that awaits, a sync one calling an async_unsafe function (as every
database query does), one that signs or checks a value naming the worker that
answered, and one that fails."""

import asyncio
import os
import time

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.utils.asyncio import async_unsafe


async def waits(request: HttpRequest) -> HttpResponse:
    await asyncio.sleep(2)
    return HttpResponse("waited")


@async_unsafe
def like_a_database_query() -> str:
    return "queried"


def queries(request: HttpRequest) -> HttpResponse:
    return HttpResponse(like_a_database_query())


def signs(request: HttpRequest) -> HttpResponse:
    """Signs "signed", or checks ?value=; held 0.3 s, so that requests sent
    together meet different workers."""
    time.sleep(0.3)
    try:
        answer = (
            signing.loads(request.GET["value"])
            if "value" in request.GET
            else signing.dumps("signed")
        )
    except signing.BadSignature:
        answer = "bad signature"
    return HttpResponse(f"{os.getpid()} {answer}", headers={"Connection": "close"})


def fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a view")


urlpatterns = [
    path("waits", waits),
    path("queries", queries),
    path("signs", signs),
    path("fails", fails),
    path("", include("greeter.urls")),
]

"""The health endpoint, answered by a middleware so that it stays cheap.

It runs before Django's host validation: Docker's and Kubernetes' probes call
the container by whatever address they have (127.0.0.1, the pod IP), which
ALLOWED_HOSTS need not list. It touches no template, no database, no session.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse

HEALTH_PATH = "/healthz"


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return JsonResponse({"status": "ok", "version": settings.GREETER_VERSION})
        return self.get_response(request)

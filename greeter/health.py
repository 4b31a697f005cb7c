"""The health endpoints, answered by a middleware before Django's host
validation: Docker's and Kubernetes' probes call the container by whatever
address they have (127.0.0.1, the pod IP), which ALLOWED_HOSTS need not list.

- /healthz, liveness: the process answers. No template, database or session.
- /readyz, readiness: every database in DATABASES answers and has every
  migration this release knows applied; 503 until then, with the reason, and
  when apps with migrations have no database at all (a stack started without
  DJANGO_DATABASE_URL). Greeter has neither, so for it the two are the same.
"""

from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.http import HttpRequest, HttpResponseBase, JsonResponse

# Databases whose migrations were all applied: they stay applied (a newer
# release only adds its own), so each process checks them once.
migrated: set[str] = set()


@cache
def migrations_without_a_database() -> bool:
    return bool(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def unready_reason() -> str | None:
    for connection in connections.all():
        if connection.settings_dict["ENGINE"] == "django.db.backends.dummy":  # no DATABASES
            if migrations_without_a_database():
                return "apps with migrations but no database: set DJANGO_DATABASE_URL"
            continue
        try:
            connection.ensure_connection()
            if connection.alias not in migrated:
                executor = MigrationExecutor(connection)
                if executor.migration_plan(executor.loader.graph.leaf_nodes()):
                    return f"database {connection.alias}: migrations not applied"
                migrated.add(connection.alias)
        except DatabaseError as error:
            return f"database {connection.alias}: {type(error).__name__}"
    return None


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        if request.path == "/healthz":
            return JsonResponse({"status": "ok", "version": settings.GREETER_VERSION})
        if request.path == "/readyz":
            if reason := unready_reason():
                response = JsonResponse({"status": "unready", "reason": reason}, status=503)
                # Django's own mark: not logged as a server error (nor mailed to
                # the admins) at every probe; the reason is in the answer.
                response._has_been_logged = True  # type: ignore[attr-defined]
                return response
            return JsonResponse({"status": "ready"})
        return self.get_response(request)

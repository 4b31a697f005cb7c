"""The Content-Security-Policy header, built once from settings by django-csp.

django-csp's own middleware rebuilds the header from the settings for every
response (about 15% of a request's CPU, measured with cProfile), to allow
per-request nonces and per-view changes. Greeter uses neither: no page runs
a script and every page has the same policy, so the header is built once, by
django-csp's builder from settings.CONTENT_SECURITY_POLICY, and set on every
response that does not carry one already.
"""

from csp.constants import HEADER
from csp.utils import build_policy
from django.conf import settings

# Django's debug pages (404 and 500 with DEBUG on) style themselves inline.
DEBUG_PAGE_STATUSES = (404, 500)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = build_policy()

    def __call__(self, request):
        response = self.get_response(request)
        if not (settings.DEBUG and response.status_code in DEBUG_PAGE_STATUSES):
            response.headers.setdefault(HEADER, self.policy)
        return response

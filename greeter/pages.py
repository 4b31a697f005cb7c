"""The form and the greeting: rendered from their templates once per language.

Both pages are the same for every visitor in a language but for a few values:
the CSRF token, the path the language selector returns to, and the name.
Rendering the templates was three quarters of a request's CPU (cProfile), so a
Page renders its template once per language with a marker in each of those
places, splits the HTML at the markers, and fills each request's own values
in between, escaped exactly as the template's autoescape escapes them
(greeter/tests/test_pages.py compares the result with a full render).

A slot's value may only be printed by the template, never filtered or
compared: a marker stands in for it at render time. (base.html's
`{% if return_path %}` only asks whether there is a request: every request has
a path, and every marker is true.)
"""

import re
from functools import cache

from django.conf import settings
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.translation import get_language

# Letters and underscores only, so that autoescape and the CSRF tag leave it as it is.
MARKER = "zzgreeterslot_{}_zz"
MARKERS = re.compile(MARKER.format(r"(\w+?)"))


class Page:
    def __init__(self, template_name, context=dict, slots=()):
        self.template_name = template_name
        self.context = context  # makes the constant part of the context
        self.slots = ("csrf_token", "return_path", *slots)
        # language → [text, slot name, text, slot name, …, text]
        self.pieces = cache(self._render_pieces)

    def _render_pieces(self, language):
        markers = {slot: MARKER.format(slot) for slot in self.slots}
        html = render_to_string(self.template_name, {**self.context(), **markers})
        return MARKERS.split(html)

    def render(self, request, **values):
        """The page's HTML for this request; `values` fill the page's own slots."""
        values |= {"csrf_token": get_token(request), "return_path": request.get_full_path()}
        if settings.DEBUG:  # runserver: a template edit shows on the next request
            self.pieces.cache_clear()
        pieces = self.pieces(get_language())
        # Even positions are the template's text, odd ones the names of slots.
        return "".join(
            piece if index % 2 == 0 else escape(values[piece]) for index, piece in enumerate(pieces)
        )

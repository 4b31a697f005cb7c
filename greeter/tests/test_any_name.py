"""Property: whatever Unicode a visitor types, the answer is a greeting or the
form with an error, never a server error, and the name never becomes markup:
the page has the same elements as for a plain name, and the name comes back
as the text of the greeting or the value of the field, exactly as typed."""

from functools import cache
from html.parser import HTMLParser

from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

GREETING = "Hello {}, Welcome to this app for Docker Demonstration."


class Page(HTMLParser):
    """The elements of a page (tag and attribute names), the greeting's text
    and the name field's value, as a browser would parse them."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.elements, self.greeting, self.field_value, self._in_greeting = [], "", None, False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, sorted(attributes)))
        self._in_greeting = attributes.get("class") == "greeting"
        if attributes.get("name") == "username":
            self.field_value = attributes.get("value")

    def handle_endtag(self, tag):
        self._in_greeting = False

    def handle_data(self, data):
        if self._in_greeting:
            self.greeting += data


def post(name):
    response = Client().post("/greet", {"username": name})
    return response.status_code, Page(response.content.decode())


@cache
def plain_elements(status):
    return post({200: "Ada", 422: ""}[status])[1].elements


def check(name):
    status, page = post(name)
    assert status in (200, 422)
    assert page.elements == plain_elements(status)  # no element or attribute was injected
    if status == 200:
        assert page.greeting == GREETING.format(name.strip())
    else:
        assert page.field_value == name  # kept exactly as typed


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=150))
def test_any_unicode_name_gets_a_greeting_or_a_form_error_and_stays_text(name):
    check(name)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("<>\"'&;/ =#xscript\x00\t\r\n\u202e\u200d"), max_size=40))
def test_markup_heavy_names_stay_text(name):
    check(name)

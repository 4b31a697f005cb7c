"""The language selector's buttons, built once per language.

The same six buttons follow every page; rendering them with a template loop
cost a quarter of the form page's time (measured with cProfile), building them
here once per current language costs nothing after the first page.
"""

from functools import cache

from django import template
from django.conf import settings
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, get_language_info

register = template.Library()


@register.simple_tag
def language_buttons() -> SafeString:
    return _buttons(get_language())


@cache
def _buttons(current: str) -> SafeString:
    return format_html_join(
        "\n",
        '<button type="submit" name="language" value="{}" lang="{}"{}>{}</button>',
        (
            (code, code, mark_safe(' aria-current="true"') if code == current else "",
             get_language_info(code)["name_local"])
            for code, _ in settings.LANGUAGES
        ),
    )  # fmt: skip

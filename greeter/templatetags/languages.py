"""The language selector's buttons, built once per language.

The same buttons follow every page; rendering them with a template loop cost a
quarter of the form page's time (measured with cProfile), building them here
once per current language costs nothing after the first page. Each button
shows the name LANGUAGES gives, so a language Django has no name for (a team's
own, like "x-pirate") works as well as one it knows.
"""

from functools import cache
from typing import Any

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

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
            (code, code, mark_safe(' aria-current="true"') if code == current else "", name)
            for code, name in settings.LANGUAGES
        ),
    )


@receiver(setting_changed)
def _forget_buttons(*, setting: str, **kwargs: Any) -> None:
    """A changed LANGUAGES (override_settings in a test) builds them anew."""
    if setting == "LANGUAGES":
        _buttons.cache_clear()

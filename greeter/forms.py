import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _

MAX_NAME_LENGTH = 100


def reject_control_characters(value: str) -> None:
    """Refuse NUL, tabs, line breaks and every other control character.

    Only Unicode's "Cc" category is refused: the format characters that
    right-to-left names and emoji sequences need (ZWJ, RLM …) are "Cf" and pass.
    """
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise ValidationError(
            _(
                "Your name contains an invisible control character, such as a tab "
                "or a line break. Please type it again without it."
            ),
            code="control_character",
        )


def reject_undecodable_text(value: str) -> None:
    """Bytes that were not valid UTF-8 arrive as U+FFFD: say so, don't greet "��"."""
    if "\ufffd" in value:
        raise ValidationError(
            _(
                "Part of your name could not be read (it was not sent as valid UTF-8). "
                "Please type it again."
            ),
            code="undecodable",
        )


class NameField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # CharField's own check covers NUL alone; ours covers NUL too, so keep
        # one check and one message instead of two.
        self.validators = [
            validator
            for validator in self.validators
            if not isinstance(validator, ProhibitNullCharactersValidator)
        ] + [reject_control_characters, reject_undecodable_text]


class GreetingForm(forms.Form):
    username = NameField(
        label=_("Your name"),
        max_length=MAX_NAME_LENGTH,
        strip=True,
        error_messages={
            "required": _("Please enter your name."),
            "max_length": _(
                "Please use at most %(limit_value)d characters; this name has %(show_value)d."
            ),
        },
    )

import pytest

from greeter.forms import MAX_NAME_LENGTH, GreetingForm

UNICODE_NAMES = [
    "Zoë Saldaña",  # accents
    "山田太郎",  # CJK
    "👩🏽‍🚀 Ada",  # emoji with skin tone and zero-width joiner
    "محمد",  # right-to-left
    "Ñ",  # N + combining tilde
    "\u200fשרה\u200f",  # Hebrew with right-to-left marks (format chars, not control)
]


def validate(name):
    form = GreetingForm(data={"username": name})
    return form, form.is_valid()


def test_surrounding_whitespace_is_stripped():
    form, valid = validate("  \tAda Lovelace \n ")
    assert valid
    assert form.cleaned_data["username"] == "Ada Lovelace"


@pytest.mark.parametrize("name", ["", "   ", "\u3000\u00a0"])
def test_blank_name_is_rejected_with_a_request_for_a_name(name):
    form, valid = validate(name)
    assert not valid
    assert form.errors["username"] == ["Please enter your name."]


def test_missing_field_is_rejected_like_a_blank_one():
    form = GreetingForm(data={})
    assert not form.is_valid()
    assert form.errors["username"] == ["Please enter your name."]


def test_name_of_the_maximum_length_is_accepted():
    _, valid = validate("a" * MAX_NAME_LENGTH)
    assert valid


def test_name_one_over_the_maximum_is_rejected_with_both_lengths():
    form, valid = validate("a" * (MAX_NAME_LENGTH + 1))
    assert not valid
    assert form.errors["username"] == ["Please use at most 100 characters; this name has 101."]


def test_length_is_counted_after_stripping():
    _, valid = validate("  " + "a" * MAX_NAME_LENGTH + "  ")
    assert valid


@pytest.mark.parametrize("char", ["\x00", "\t", "\n", "\r", "\x1b", "\x7f", "\x85"])
def test_control_characters_inside_a_name_are_rejected_with_one_message(char):
    form, valid = validate(f"Ada{char}Lovelace")
    assert not valid
    [message] = form.errors["username"]
    assert "invisible control character" in message


@pytest.mark.parametrize("name", UNICODE_NAMES)
def test_unicode_names_are_accepted_unchanged(name):
    form, valid = validate(name)
    assert valid, form.errors
    assert form.cleaned_data["username"] == name.strip()


def test_field_is_labelled_for_a_person_and_required():
    field = GreetingForm().fields["username"]
    assert field.label == "Your name"
    assert field.required


def test_text_that_was_not_valid_utf8_is_rejected_not_greeted():
    # Django decodes invalid UTF-8 in a form as U+FFFD.
    form, valid = validate("Ada \ufffd\ufffd")
    assert not valid
    assert "could not be read" in form.errors["username"][0]

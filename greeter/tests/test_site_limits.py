"""What a team adds must fit: languages Django has no name for, and forms as
large as the admin's bulk actions."""

from django.conf import settings
from django.test import override_settings

PIRATE = [*settings.LANGUAGES, ("x-pirate", "Pirate")]


@override_settings(LANGUAGES=PIRATE)
def test_a_language_django_does_not_know_serves_every_page_with_its_name(client):
    form = client.get("/")
    assert form.status_code == 200
    assert '<button type="submit" name="language" value="x-pirate" lang="x-pirate">Pirate' in (
        form.content.decode()
    )
    assert client.post("/greet", {"username": "Ada"}).status_code == 200
    assert client.post("/greet", {"username": ""}).status_code == 422
    assert client.get("/no-such-page").status_code == 404
    chosen = client.post("/i18n/setlang/", {"language": "x-pirate", "next": "/"})
    assert chosen.status_code == 302
    # Without a catalog in greeter/locale Django keeps English: the page still answers.
    assert client.get("/").status_code == 200


def test_a_form_of_300_fields_is_accepted(client):
    fields = {f"field{number}": "x" for number in range(299)}
    response = client.post("/greet", {"username": "Ada", **fields})
    assert response.status_code == 200

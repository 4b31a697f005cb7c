"""Greeter's environment variables, read one way for the settings and gunicorn.conf.py.

django-environ's FileAwareEnv (VAR_FILE reads VAR from a file, for Docker and
Kubernetes secrets) with the rules it lacks:
- an empty value counts as unset, so the default applies: compose passes a
  `VAR=` line of .env to the container as an empty string;
- a value that can't be read as what the variable holds stops the start with a
  message naming it. django-environ would raise a bare ValueError for a number,
  and read any unknown word, `ture` included, as false;
- every value is taken literally: django-environ reads one that starts with `$`
  as the name of another variable, and about 2 % of Django's random keys do;
- a file's trailing newline is not part of the value (`echo key > file` writes one);
- a list's items lose the spaces around them, as people type them.
"""

import ipaddress
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

TRUE_STRINGS = environ.Env.BOOLEAN_TRUE_STRINGS
FALSE_STRINGS = ("false", "off", "no", "n", "0")


class Env(environ.FileAwareEnv):  # type: ignore[misc]  # django-environ is untyped
    # Read a VAR_FILE each time it is asked for: the settings ask once, and a
    # cached copy would outlive a change of the file or of VAR_FILE itself.
    ENVIRON = environ.FileAwareMapping(cache=False)

    def get_value(
        self,
        var: str,
        cast: Any = None,
        default: Any = environ.Env.NOTSET,
        parse_default: bool = False,
    ) -> Any:
        try:
            value = self.ENVIRON.get(var, "").rstrip("\r\n")
        except OSError as error:  # VAR_FILE names a file that can't be read
            raise ImproperlyConfigured(f"{var}_FILE: {error}") from None
        if not value.strip():
            if default is self.NOTSET:
                raise ImproperlyConfigured(f"Set the {var} environment variable.")
            return default
        if cast is bool and value.strip().lower() not in TRUE_STRINGS + FALSE_STRINGS:
            raise ImproperlyConfigured(
                f"{var}={value!r} is neither true nor false: use one of "
                f"{', '.join(TRUE_STRINGS)} or {', '.join(FALSE_STRINGS)}."
            )
        try:
            parsed = self.parse_value(value, cast)  # not get_value: no `$` references
        except ValueError as error:
            raise ImproperlyConfigured(f"{var}={value!r} can't be read: {error}") from None
        # A list as people type it: "example.com, www.example.com".
        return [item.strip() for item in parsed] if isinstance(parsed, list) else parsed

    def url_config(self, var: str, parse: Any, default: str = "") -> Any:
        """A URL variable (a database, cache or e-mail server) as django-environ's
        `parse` reads it, None when empty; one it can't read stops the start
        naming the variable (not its value, which may hold a password)."""
        value = self.str(var, default=default)
        try:
            return parse(value) if value else None
        except (ValueError, KeyError, ImproperlyConfigured) as error:
            raise ImproperlyConfigured(f"{var} can't be read as a URL: {error}") from None


env = Env()


def behind_https_proxy() -> bool | None:
    """The HTTPS switch, DJANGO_BEHIND_HTTPS_PROXY: True behind a proxy that
    terminates TLS; False for plain HTTP on purpose (the local compose file and
    runserver say so); None when unset, also plain HTTP, but `check --deploy`
    then reports the TLS settings missing."""
    switch: bool | None = env.bool("DJANGO_BEHIND_HTTPS_PROXY", default=None)
    return switch


def trusted_proxies() -> list[str]:
    """FORWARDED_ALLOW_IPS (gunicorn's own variable): the proxies whose
    X-Forwarded-* headers are believed, as addresses or networks, or `*` for
    every peer. Each IPv4 one is also given as IPv6 sees it (`::ffff:a.b.c.d`):
    gunicorn listens on `[::]`, where an IPv4 peer arrives in that form."""
    given = env.list("FORWARDED_ALLOW_IPS", default=["127.0.0.1", "::1"])
    if "*" in given:
        return ["*"]
    try:
        networks = [ipaddress.ip_network(item, strict=False) for item in given]
    except ValueError as error:
        raise ImproperlyConfigured(f"FORWARDED_ALLOW_IPS: {error}") from None
    mapped = [
        ipaddress.ip_network(f"::ffff:{net.network_address}/{96 + net.prefixlen}")
        for net in networks
        if net.version == 4
    ]
    return [str(network) for network in networks + mapped]

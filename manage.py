#!/usr/bin/env python
"""Django's command-line utility: the developer's entry point."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    # `python manage.py runserver` is local development: debug on unless told
    # otherwise. The image sets DJANGO_DEBUG=false, and gunicorn never gets here.
    os.environ.setdefault("DJANGO_DEBUG", "true")
    if sys.argv[1:2] == ["runserver"]:  # plain HTTP on purpose (project/settings.py)
        os.environ.setdefault("DJANGO_BEHIND_HTTPS_PROXY", "false")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

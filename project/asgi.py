"""The ASGI application, for gunicorn's own asgi worker (docs/configuration.md):
gunicorn -k asgi project.asgi:application"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

application = get_asgi_application()

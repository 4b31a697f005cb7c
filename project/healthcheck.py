"""The container's health check: `python -m project.healthcheck`.

slim images have no curl or wget; the standard library is enough. Exits 0 when
/healthz answers 200, 1 otherwise (Docker's HEALTHCHECK contract).
"""

import os
import sys
import urllib.request

# An empty PORT means the default, as for gunicorn.conf.py (project/environment.py).
URL = f"http://127.0.0.1:{os.environ.get('PORT') or '5000'}/healthz"

try:
    with urllib.request.urlopen(URL, timeout=2) as response:
        sys.exit(0 if response.status == 200 else 1)
except OSError as error:
    print(f"unhealthy: {error}", file=sys.stderr)
    sys.exit(1)

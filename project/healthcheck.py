"""The container's health check: `python -m project.healthcheck [readyz]`.

slim images have no curl or wget; the standard library is enough. Exits 0 when
/healthz (or /readyz) answers 200, 1 with the reason otherwise (Docker's
HEALTHCHECK contract).
"""

import os
import sys
import urllib.error
import urllib.request

# An empty PORT means the default, as for gunicorn.conf.py (project/environment.py).
PATH = sys.argv[1] if len(sys.argv) > 1 else "healthz"
URL = f"http://127.0.0.1:{os.environ.get('PORT') or '5000'}/{PATH}"

try:
    with urllib.request.urlopen(URL, timeout=2) as response:
        sys.exit(0 if response.status == 200 else 1)
except urllib.error.HTTPError as error:  # a 503 from /readyz, with its reason
    print(f"unhealthy: {error.code} {error.read().decode(errors='replace')}", file=sys.stderr)
except OSError as error:
    print(f"unhealthy: {error}", file=sys.stderr)
sys.exit(1)

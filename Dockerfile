# Greeter's image. `docker build -t mlops-docker-demo .` (the course's name) and
# `docker compose build` (greeter:latest) build the last stage, `runtime`;
# docker-compose.dev.yml builds `dev` (greeter:dev) for `docker compose watch`.

# The base: PYTHON_IMAGE, by default the official slim image below (Debian,
# glibc, so wheels install without a compiler, and a supported Python, unlike
# the seed's end-of-life 3.8). A registry mirror or a local stand-in can be
# given instead: docker build --build-arg PYTHON_IMAGE=... (compose passes it).
ARG PYTHON_IMAGE=python-official

# The official image pinned by the digest of its multi-arch index, so a rebuild
# gets the same base until Dependabot proposes the next one (it reads only a
# literal FROM, so the pin is a stage of its own). BuildKit pulls it only when
# PYTHON_IMAGE names it. Never run as a container, so no health check of its own.
# hadolint ignore=DL3057
FROM python:3.13-slim@sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6 AS python-official

FROM ${PYTHON_IMAGE} AS base
# Logs reach `docker logs` at once; nothing tries to write .pyc files at run
# time (the root filesystem is read-only; bytecode is compiled at build).
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH


FROM base AS build
# Never run as a container: it only builds the venv, static files and bytecode.
HEALTHCHECK NONE
# A venv without pip: the base image's pip installs into it (--python), so the
# runtime never carries pip and nothing has to uninstall it. (Installing and
# removing pip in the venv took over 3 minutes of the arm64 build under QEMU.)
RUN python -m venv --without-pip /opt/venv
# Only the lock file is bound in, so this layer is rebuilt when a dependency
# changes, not when the code does. --require-hashes refuses any file that is not
# the one locked; --only-binary refuses to compile anything; the cache mount
# keeps downloads between builds without putting them in a layer.
RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=bind,source=requirements.txt,target=/tmp/requirements.txt \
    pip --python /opt/venv/bin/python install \
        --require-hashes --no-deps --only-binary=:all: -r /tmp/requirements.txt


# The app's files, built once: static files hashed and compressed and bytecode
# compiled, since the running container cannot write them. brotli, which
# compresses the .br copies, is installed here alone, from its own lock: the
# runtime venv comes from `build`, so it never has it. The compiled translations
# (.mo) come from git, where a test keeps them in step with their .po sources:
# no gettext to install here.
FROM build AS app
RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=bind,source=requirements-build.txt,target=/tmp/requirements-build.txt \
    pip --python /opt/venv/bin/python install \
        --require-hashes --no-deps --only-binary=:all: -r /tmp/requirements-build.txt
WORKDIR /app
COPY . .
RUN DJANGO_DEBUG=false python manage.py collectstatic --noinput \
    && python -m compileall -q project greeter gunicorn.conf.py


# The venv the container runs with, without what nothing at run time loads:
# the packages' own test suites, Django's .po sources and the catalogs of the
# languages Greeter does not offer (it offers English and those with a folder in
# greeter/locale; a test checks they are project/settings.py LANGUAGES). The site-packages folder is asked of
# the venv's Python, so a new Python version needs no edit here.
FROM build AS runtime-venv
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# WORKDIR can't take a path computed at build time, so this RUN changes into it.
# hadolint ignore=DL3003
RUN --mount=type=bind,source=greeter/locale,target=/tmp/locale \
    cd "$(python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" \
    && rm -rf csp/tests django/contrib/admin/static \
    && find django -name "*.po" -delete \
    && offered=" en $(find /tmp/locale -mindepth 1 -maxdepth 1 -printf '%f ')" \
    && find django -type d -name LC_MESSAGES | while read -r messages; do \
        language=$(basename "$(dirname "$messages")"); \
        [[ "$offered" == *" $language "* ]] || rm -rf "$(dirname "$messages")"; \
    done


# The development variant for `docker compose watch`: runserver with debug on,
# and the code owned by the app user so that watch can sync edits into it.
FROM base AS dev
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=10001:10001 . .
USER 10001:10001
ENV DJANGO_DEBUG=true
EXPOSE 5000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --start-interval=1s \
    CMD ["python", "-m", "project.healthcheck"]
CMD ["python", "manage.py", "runserver", "0.0.0.0:5000"]


FROM base AS runtime
# Without the base image's own pip: nothing installs at run time, and scanners
# report a tool that is not used. Its folder is asked of the base image's Python
# (the venv, first on PATH, is not there yet), so any layout works.
RUN pip_dir=$(python -c 'import os, pip; print(os.path.dirname(pip.__file__))') \
    && rm -rf "$pip_dir" "$pip_dir"-*.dist-info \
    && find /usr/local/bin /usr/bin -maxdepth 1 -name 'pip*' -delete
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=https://github.com/greeter/greeter
LABEL org.opencontainers.image.title="Greeter" \
      org.opencontainers.image.description="Greets a visitor by name: Django 5.2 LTS, gunicorn, whitenoise" \
      org.opencontainers.image.version=$VERSION \
      org.opencontainers.image.revision=$REVISION \
      org.opencontainers.image.created=$CREATED \
      org.opencontainers.image.source=$SOURCE \
      org.opencontainers.image.licenses="MIT"
COPY --from=runtime-venv /opt/venv /opt/venv
WORKDIR /app
# Owned by root: the app user can read its code but never rewrite it.
COPY --from=app /app /app
# The release /healthz reports, as a file the settings read: no variable (a
# stale GREETER_VERSION in .env) can say otherwise. media/ is the app user's,
# so that a new volume mounted there is too (docs/next-steps.md, uploads);
# without one it is read-only, like the rest of the root filesystem.
RUN printf '%s\n' "$VERSION" > VERSION && install -d -o 10001 -g 10001 media
ENV DJANGO_DEBUG=false
# A fixed, unprivileged UID/GID (not in /etc/passwd: nothing needs a home),
# so volume and Kubernetes runAsUser settings can name it.
USER 10001:10001
EXPOSE 5000
# slim has no curl: the check is a few lines of Python's urllib. The start
# interval polls every second while the container boots, so "healthy" comes fast.
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --start-interval=1s \
    CMD ["python", "-m", "project.healthcheck"]
# Exec form: gunicorn is PID 1 and receives docker stop's SIGTERM itself (the
# entrypoint script execs it). Its configuration is ./gunicorn.conf.py.
ENTRYPOINT ["/app/docker-entrypoint.sh"]
CMD ["gunicorn"]

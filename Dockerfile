# syntax=docker/dockerfile:1
#
# Maillage container image: one image, two commands (docs/operations.md, "Deployment").
#   docker run … maillage:TAG web       gunicorn (`maillage serve --sans-worker`), port 8000
#   docker run … maillage:TAG worker    the task-queue consumer (`maillage worker`)
#   docker run … maillage:TAG migrate   migrations as the database owner, then `db_app_role`
#   docker run … maillage:TAG <command> any other `maillage` command (crt_admin, backup, …)
#
# Base images are pinned by tag: no registry was reachable where this file was written, so no
# digest could be read. Pin them by digest in your own registry mirror
# (`docker buildx imagetools inspect python:3.11.14-slim-bookworm`) and bump them deliberately.
# Python 3.11, the version CI tests; Debian 12 (bookworm) for PostgreSQL 15's pg_dump.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9

FROM ${UV_IMAGE} AS uv

# ---- builder: the virtual environment, exactly as uv.lock pins it (no dev dependencies) ----
FROM ${PYTHON_IMAGE} AS builder
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first (a layer kept while only the code changes), then the project itself.
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project
COPY README.md manage.py ./
COPY maillage ./maillage
RUN uv sync --locked --no-dev --no-editable \
    && rm -rf /app/maillage

# ---- runtime: Python, the system libraries WeasyPrint needs, pg_dump; no compiler ----
FROM ${PYTHON_IMAGE} AS runtime
# Pango/HarfBuzz and a font for WeasyPrint (PDF); postgresql-client for `maillage backup`
# (pg_dump 15, same major version as the compose file's PostgreSQL). Versions come from
# Debian 12's security-maintained archive: pinning exact Debian versions would break the build
# at each security update, so DL3008 is ignored here on purpose.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
        postgresql-client \
    && rm -rf /var/lib/apt/lists/*

# A fixed, unprivileged uid/gid (10001): volumes and the systemd variant can grant it rights.
RUN groupadd --system --gid 10001 maillage \
    && useradd --system --uid 10001 --gid maillage --home-dir /var/lib/maillage \
        --shell /usr/sbin/nologin maillage \
    && install -d -o maillage -g maillage -m 0750 /var/lib/maillage /var/lib/maillage/media \
        /var/lib/maillage/backups

COPY --from=builder /app/.venv /app/.venv
COPY deploy/docker-entrypoint.sh deploy/healthcheck.py /app/deploy/

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MAILLAGE_ENV=production \
    MAILLAGE_VAR_DIR=/var/lib/maillage \
    MEDIA_ROOT=/var/lib/maillage/media \
    STATIC_ROOT=/app/static \
    NUMBA_CACHE_DIR=/tmp/numba-cache \
    PORT=8000
WORKDIR /app

# Static files are collected once, here, with the production storage (hashed names, compressed
# copies). The settings refuse to load in production without a secret key, a field encryption key
# and allowed hosts: the values below are build-only placeholders given to this one command, never
# written to the image's environment, and the scratch directory they create is removed.
RUN MAILLAGE_VAR_DIR=/tmp/build-var \
    SECRET_KEY=build-only-placeholder-never-used-at-run-time-0123456789abcdef \
    FIELD_ENCRYPTION_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    ALLOWED_HOSTS=build.invalid \
    maillage collectstatic --noinput --verbosity 0 \
    && rm -rf /tmp/build-var

USER 10001:10001
EXPOSE 8000
# Liveness: the process answers /healthz (readiness, /readyz, is the proxy's business).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/deploy/healthcheck.py", "/healthz"]
ENTRYPOINT ["/app/deploy/docker-entrypoint.sh"]
CMD ["web"]

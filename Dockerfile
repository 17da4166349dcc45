# EmberKV container image.
#
#   docker build -t emberkv .
#   docker run -d -p 6379:6379 -v emberkv-data:/data emberkv
#
# BASE defaults to the official Python image. CI (no registry access) builds the same
# file on a locally built Debian image: --build-arg BASE=localhost/pybase:bookworm
# (see scripts/docker-smoke). Keep the steps base-agnostic: no apt-get, venv python only.
ARG BASE=python:3.12-slim-bookworm
FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Always a venv: Debian's own python3 is "externally managed" (PEP 668).
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# .dockerignore limits the context to pyproject.toml, README.md and the packages
# (server/, protocol/, persistence/ when present).
COPY . /app
RUN pip install /app \
    && rm -rf /app

RUN groupadd --system emberkv \
    && useradd --system --gid emberkv --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin emberkv \
    && mkdir -p /data \
    && chown emberkv:emberkv /data

COPY docker/emberkv.conf /etc/emberkv.conf

VOLUME /data
WORKDIR /data
USER emberkv

EXPOSE 6379
# The server handles SIGTERM: closes listeners and clients and exits 0.
STOPSIGNAL SIGTERM
CMD ["emberkv-server", "/etc/emberkv.conf"]

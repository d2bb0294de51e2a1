# UpTrade's image: the `uptrade` command line, the one image of the updater, dashboard and mcp
# services of docker/docker-compose.yml (tests/test_compose.py reads this file too).
FROM python:3.11.17-slim-trixie

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The package, then its sources are dropped: the build context is only these (.dockerignore).
WORKDIR /tmp/uptrade-build
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install . && rm -rf /tmp/uptrade-build

# uptrade defaults numba's cache to ~/.cache/uptrade/numba; the image names it explicitly so that
# it sits on the volume docker-compose.yml mounts at the user's home.
ENV NUMBA_CACHE_DIR=/home/uptrade/.cache/numba \
    UPTRADE_HOME=/home/uptrade/.uptrade
RUN useradd --create-home --uid 10001 --user-group uptrade \
    && mkdir -p "$NUMBA_CACHE_DIR" "$UPTRADE_HOME" \
    && chown -R uptrade:uptrade /home/uptrade

USER uptrade
WORKDIR /home/uptrade
ENTRYPOINT ["uptrade"]
CMD ["--help"]

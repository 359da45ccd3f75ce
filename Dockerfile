# The service: gunicorn with the production config (gunicorn.conf.py), as a non-root user.
#   docker build -t reactions-widget .
#   docker run -e SECRET_KEY=... -e REDIS_URL=redis://redis-host:6379/0 -p 8000:8000 reactions-widget
# docker-compose.yml runs it together with Redis; see docs/docker.md.

# Build the wheel in a stage of its own, so the image holds the installed package only
# (no sources, no build tools, no test extras).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY widget ./widget
COPY static ./static
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
RUN pip install /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin reactions
WORKDIR /app
COPY gunicorn.conf.py ./
USER reactions

# Listen on every interface of the container; FLASK_APP lets `flask sites ...` find the app.
ENV BIND=0.0.0.0:8000 \
    FLASK_APP=widget
EXPOSE 8000

# Ready when Redis answers (/readyz). python, as the slim image has no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request as u; sys.exit(u.urlopen('http://127.0.0.1:8000/readyz', timeout=3).status != 200)"]

CMD ["gunicorn", "--config", "gunicorn.conf.py", "widget:create_app()"]

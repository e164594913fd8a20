# Production image: the locked dependencies, the code, collected static files.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH DJANGO_SETTINGS_MODULE=rebal.settings.production
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* && pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
RUN DJANGO_SECRET_KEY=build DJANGO_ALLOWED_HOSTS=build REBAL_DATABASE_URL=postgres://build/build \
    python manage.py collectstatic --no-input -v 0
RUN useradd --system --uid 10001 rebal
USER rebal
EXPOSE 8000
CMD ["gunicorn", "rebal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4"]

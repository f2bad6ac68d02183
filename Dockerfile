# One image for the web app, the Celery workers and Celery beat.
FROM node:20-bookworm-slim AS ui
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production
RUN useradd --create-home --uid 1000 app
WORKDIR /app
COPY requirements/base.lock requirements/
RUN pip install --require-hashes -r requirements/base.lock
COPY pyproject.toml README.md LICENSE ./
COPY annotation_qc/ annotation_qc/
COPY config/ config/
COPY manage.py ./
RUN pip install --no-deps . && mkdir -p /app/media /app/staticfiles && chown -R app /app
COPY --from=ui /src/frontend/dist/ frontend/dist/
RUN DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput -v0
USER app
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.py"]

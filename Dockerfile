# The production image: one image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=alliance_portal.settings.production

# WeasyPrint needs Pango and HarfBuzz's subsetter; uploads are sniffed with libmagic; PyICU
# (screening's name transliteration) is built against ICU.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core libmagic1 gettext \
      libicu-dev pkg-config g++ \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --uid 10001 alliance

WORKDIR /app
COPY requirements/ requirements/
RUN pip install -r requirements/base.txt

COPY . .
# Build-time only values: collectstatic and compilemessages need settings, not secrets or
# services (production settings refuse to load without every required variable).
ARG BUILD_ENV="DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=localhost \
  DATABASE_URL=sqlite:////tmp/build.db CELERY_BROKER_URL=redis://build-only:6379/0 \
  REDIS_URL=redis://build-only:6379/1 ANTIVIRUS=clamd"
RUN env $BUILD_ENV python manage.py collectstatic --no-input \
 && env $BUILD_ENV python manage.py compilemessages --ignore=.venv \
 && mkdir -p /app/var/private && chmod 700 /app/var/private && chown -R alliance /app/var

USER alliance
EXPOSE 8000
CMD ["gunicorn", "alliance_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]

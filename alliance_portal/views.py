import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "alliance_portal/home.html")


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and answering; says nothing about its dependencies."""
    return JsonResponse({"status": "ok"})


def _check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            row: tuple[int] | None = cursor.fetchone()
            return row == (1,)
    except Exception:
        return False


def _check_redis(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def _redis_urls() -> list[str]:
    urls = [settings.REDIS_URL]
    if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        urls.append(settings.CELERY_BROKER_URL)
    return sorted({url for url in urls if url})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: the database answers and, when configured, Redis does too."""
    checks = {"database": "ok" if _check_database() else "down"}
    redis_urls = _redis_urls()
    if redis_urls:
        checks["redis"] = "ok" if all(_check_redis(url) for url in redis_urls) else "down"
    down = sorted(name for name, state in checks.items() if state != "ok")
    body = {"status": "unavailable" if down else "ok", "checks": checks, "down": down}
    return JsonResponse(body, status=503 if down else 200)

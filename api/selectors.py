from django.db.models import QuerySet

from members.models import User

from .models import ApiToken


def tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def token_of(user: User, pk: int) -> ApiToken:
    """One of the user's tokens; DoesNotExist if it is someone else's."""
    return tokens_of(user).get(pk=pk)


def token_by_secret_hash(digest: str) -> ApiToken | None:
    return ApiToken.objects.select_related("user").filter(secret_sha256=digest).first()

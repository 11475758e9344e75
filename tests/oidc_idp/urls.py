from django.contrib.auth import get_user_model, login
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def sign_in(request: HttpRequest, username: str) -> HttpResponse:
    """The provider's own sign-in, reduced to "this browser is <username>": what the tests
    exercise is the OpenID Connect exchange, not the provider's login form."""
    login(request, get_user_model().objects.get(username=username))
    return HttpResponse("signed in")


urlpatterns = [
    path("login/<str:username>/", sign_in),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]

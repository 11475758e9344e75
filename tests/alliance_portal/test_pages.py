import pytest
from django.urls import reverse

from tests.factories import UserFactory, auditor


@pytest.mark.django_db
class TestHomePage:
    def test_explains_the_programme_to_anyone(self, client):
        response = client.get(reverse("home"))
        assert response.status_code == 200
        html = response.content.decode()
        assert "The ALROSA ALLIANCE programme" in html
        assert reverse("account_login") in html
        assert 'action="/i18n/setlang/"' in html

    def test_no_resource_comes_from_a_cdn(self, client):
        html = client.get(reverse("home")).content.decode()
        assert "/static/vendor/bootstrap-5.3.9/bootstrap.min.css" in html
        assert "/static/vendor/htmx-2.0.11/htmx.min.js" in html
        assert "https://" not in html.split("<body")[0]

    def test_security_headers(self, client):
        response = client.get(reverse("home"))
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"

    def test_switching_to_russian_translates_the_page(self, client):
        response = client.post(reverse("set_language"), {"language": "ru", "next": reverse("home")})
        assert response.status_code == 302
        html = client.get(reverse("home")).content.decode()
        assert '<html lang="ru">' in html
        assert "Программа ALROSA ALLIANCE" in html
        assert "The ALROSA ALLIANCE programme" not in html

    def test_russian_login_page_is_translated(self, client):
        client.cookies["django_language"] = "ru"
        html = client.get(reverse("account_login")).content.decode()
        assert "Войти" in html


@pytest.mark.django_db
class TestNavigationFitsTheRole:
    def test_anonymous_sees_login(self, client):
        html = client.get(reverse("home")).content.decode()
        assert reverse("account_login") in html
        assert reverse("admin:index") not in html
        assert reverse("dashboard") not in html

    def test_member_sees_dashboard_but_not_admin(self, client):
        client.force_login(UserFactory())
        html = client.get(reverse("dashboard")).content.decode()
        assert reverse("admin:index") not in html
        assert reverse("account_logout") in html

    def test_staff_sees_the_administration(self, client):
        client.force_login(UserFactory(staff=True))
        html = client.get(reverse("dashboard")).content.decode()
        assert reverse("admin:index") in html

    def test_auditor_does_not_see_the_administration(self, client):
        client.force_login(auditor())
        html = client.get(reverse("dashboard")).content.decode()
        assert reverse("admin:index") not in html

    def test_dashboard_needs_login(self, client):
        response = client.get(reverse("dashboard"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))

    def test_dashboard_query_count_is_small(self, client, django_assert_max_num_queries):
        client.force_login(UserFactory())
        # The dashboard's sections: licences, team, cases, cycles, findings, applications, the
        # documents to update, the personal-data consent and the unread notifications.
        with django_assert_max_num_queries(12):
            assert client.get(reverse("dashboard")).status_code == 200

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlliancePortalConfig(AppConfig):
    name = "alliance_portal"
    verbose_name = _("Portal infrastructure")

    def ready(self) -> None:
        # Django's authentication signals are the only hook for logins made by allauth
        # and the admin alike; the receivers only write audit events.
        from . import sso  # noqa: F401 - its second-factor receiver
        from .audit import receivers  # noqa: F401

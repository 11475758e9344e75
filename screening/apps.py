from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "screening"
    verbose_name = _("Screening")

    def ready(self) -> None:
        # The jobs registry lives below screening (compliance); screening adds its jobs to it,
        # so beat and `manage.py run_job` run them like the others.
        from compliance.services.jobs_registry import JOBS

        from .services import JOBS as SCREENING_JOBS

        JOBS.update(SCREENING_JOBS)

"""Settings of the processes the certificate benchmark starts (Celery workers, the outbox
relay): the test settings, run as production runs them. Tasks go through the broker, to the
benchmark's own queue (``BENCH_QUEUE``), and the outbox is relayed by a process of its own,
never after each commit. Never used in production."""

import os

from alliance_portal.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = os.environ["BENCH_QUEUE"]
ALLIANCE_OUTBOX_INLINE = False

"""Settings for the page benchmarks (``benchmarks/pages.py``): the local settings with DEBUG
off, the anchor page's URL, and a header giving the number of queries each response made.
Never used in production: the anchor page exists only here."""

import os

os.environ["DJANGO_DEBUG"] = "false"  # DEBUG keeps every query: not what production does

from alliance_portal.settings.local import *  # noqa: F403
from alliance_portal.settings.local import MIDDLEWARE

DEBUG = False
ROOT_URLCONF = "benchmarks.urls"
MIDDLEWARE = ["benchmarks.middleware.count_queries", *MIDDLEWARE]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # No manifest needed: the bench serves no static files.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

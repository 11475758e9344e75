"""The suite empties only its own keys in a Redis other programs share (issue 10).

The planting fixture is module-scoped, so pytest sets it up before the autouse function
fixture that empties the cache (tests/conftest.py `_clear_cache`): the test body sees what
that emptying left.
"""

import os
import uuid

import pytest
import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

pytestmark = pytest.mark.redis

OTHER_PROGRAM_KEY = f"another-program:{uuid.uuid4().hex}"
# What another Django site on the same Redis stores: the same shape, another prefix.
OTHER_SITE_KEY = f"alliance:1:{uuid.uuid4().hex}"
OWN_KEY = f"left-by-an-earlier-test:{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def planted():
    """Keys written before the test's cache emptying: two of other programs, one of ours."""
    if not isinstance(caches["default"], RedisCache):
        pytest.skip("the cache is not on Redis")
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.set(OTHER_PROGRAM_KEY, b"theirs", ex=600)
    client.set(OTHER_SITE_KEY, b"theirs", ex=600)
    cache.set(OWN_KEY, "ours", timeout=600)
    yield client
    client.delete(OTHER_PROGRAM_KEY, OTHER_SITE_KEY)
    client.close()


def test_emptying_the_cache_leaves_other_programs_keys(planted):
    assert planted.get(OTHER_PROGRAM_KEY) == b"theirs"
    assert planted.get(OTHER_SITE_KEY) == b"theirs"
    # ... and still empties the suite's own.
    assert cache.get(OWN_KEY) is None


def test_the_cache_prefix_is_the_runs_own():
    if not isinstance(caches["default"], RedisCache):
        pytest.skip("the cache is not on Redis")
    prefix = caches["default"].key_prefix
    assert prefix.startswith(f"test-{os.environ['ALLIANCE_TEST_CACHE_RUN']}-")

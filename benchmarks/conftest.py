# The benchmarks run on the test suite's database set-up (the audit log's TRUNCATE trigger
# off in the test database, the signing key, the fixtures).
from tests.conftest import *  # noqa: F403

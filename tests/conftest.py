import os

from hypothesis import HealthCheck, settings

# CI: fixed examples (no flaky discoveries between runs), no per-example deadline
# on a busy 2-core machine. Locally: HYPOTHESIS_PROFILE=dev explores more.
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=300)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

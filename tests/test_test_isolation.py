from django.conf import settings
from django.core.cache import cache


def test_each_worker_has_its_own_cache_prefix():
    assert settings.CACHES["default"]["KEY_PREFIX"].startswith("test-")
    cache.set("probe", 1)
    assert cache.make_key("probe").startswith("test-")

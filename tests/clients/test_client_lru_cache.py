from __future__ import annotations

import pytest

from clients.lru_cache import LruCache


def test_the_least_recently_used_entry_goes_first() -> None:
    cache: LruCache[str, int] = LruCache(max_entries=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the least recently used

    cache.put("c", 3)

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2


def test_clear_empties_the_cache() -> None:
    cache: LruCache[str, int] = LruCache(max_entries=2)
    cache.put("a", 1)

    cache.clear()

    assert cache.get("a") is None


def test_a_cache_holds_at_least_one_entry() -> None:
    with pytest.raises(ValueError):
        LruCache(max_entries=0)

"""Rate limits counted once for every gateway: the token buckets of bot.api.auth kept in Redis,
each spend one atomic script run on Redis's clock (the gateways' clocks need not agree)."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.api.auth import Buckets
from knowledge.community import digest

# KEYS: the bucket (a hash: tokens left, when). ARGV: capacity, refill per second, 1 to spend or
# 0 to look. Answers {1 if one was spent else 0, the tokens left as a string} (a Lua number
# returned to Redis loses its fraction).
_SPEND = """
local capacity, rate, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local kept = redis.call('HMGET', KEYS[1], 'left', 'at')
local left = tonumber(kept[1]) or capacity
local at = tonumber(kept[2]) or now
left = math.min(capacity, left + math.max(0, now - at) * rate)
if cost > 0 and left >= 1 then
  left = left - 1
  redis.call('HSET', KEYS[1], 'left', tostring(left), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - left) / rate * 1000) + 1000)
  return {1, tostring(left)}
end
return {0, tostring(left)}
"""


class RedisBuckets(Buckets):
    """Buckets of one purpose (`name`) shared by every gateway on this Redis; a bucket's key
    expires once it would be full again, so idle callers cost nothing."""

    def __init__(self, redis: Redis, prefix: str, name: str, per_minute: int) -> None:
        super().__init__(per_minute)
        self._prefix = f"{prefix}:rate:{name}:"
        self._script = redis.register_script(_SPEND)

    async def wait(self, key: str) -> int:
        _spent, left = await self._run(key, spend=False)
        return self._seconds_to_one(left)

    async def spend(self, key: str) -> int:
        spent, left = await self._run(key, spend=True)
        return 0 if spent else self._seconds_to_one(left)

    async def _run(self, key: str, *, spend: bool) -> tuple[bool, float]:
        """The script for `key` (digested: tokens never reach Redis): whether one was spent, and
        what the bucket holds."""
        spent, left = await self._script(
            keys=[self._prefix + digest(key)],
            args=[self.capacity, self.per_second, 1 if spend else 0],
        )
        return bool(spent), float(left)

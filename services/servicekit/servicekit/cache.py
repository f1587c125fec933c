"""The Redis client shared by a service's cache and rate limits."""

import logging

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from servicekit.settings import RedisSettings

logger = logging.getLogger(__name__)

# redis-py 8 retries a failed command 10 times with backoff by default, which makes a
# down Redis cost each request seconds. One immediate retry still replaces a pooled
# connection that Redis closed.
_RETRY_ONCE = Retry(NoBackoff(), retries=1)


def create_redis(settings: RedisSettings) -> Redis:
    """Create a client with short timeouts, so a slow Redis costs a request little."""
    client = Redis.from_url(
        str(settings.redis_url),
        socket_timeout=settings.redis_timeout_seconds,
        socket_connect_timeout=settings.redis_timeout_seconds,
        retry=_RETRY_ONCE,
    )
    logger.info("redis client created")
    return client


async def close_redis(client: Redis) -> None:
    await client.aclose()
    logger.info("redis client closed")

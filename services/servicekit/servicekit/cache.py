"""The Redis client shared by a service's cache and rate limits."""

import logging

from redis.asyncio import Redis

from servicekit.settings import RedisSettings

logger = logging.getLogger(__name__)


def create_redis(settings: RedisSettings) -> Redis:
    """Create a client with short timeouts, so a slow Redis costs a request little."""
    client = Redis.from_url(
        str(settings.redis_url),
        socket_timeout=settings.redis_timeout_seconds,
        socket_connect_timeout=settings.redis_timeout_seconds,
        health_check_interval=30,
    )
    logger.info("redis client created")
    return client


async def close_redis(client: Redis) -> None:
    await client.aclose()
    logger.info("redis client closed")

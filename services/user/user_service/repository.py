"""SQL for users. Functions take keyword-only arguments and raise domain errors."""

from uuid import UUID

import asyncpg
from servicekit.database import database_errors

from user_service import errors

PUBLIC_COLUMNS = "id, email, name, role, created_at"

async def insert_user(
    pool: asyncpg.Pool, *, email: str, name: str, password_hash: str, role: str = "customer"
) -> asyncpg.Record:
    """Insert a user; the unique index on lower(email) decides a race between two sign-ups."""
    try:
        with database_errors("user"):
            return await pool.fetchrow(
                "INSERT INTO users (email, name, password_hash, role) VALUES ($1, $2, $3, $4)"
                f" RETURNING {PUBLIC_COLUMNS}",
                email,
                name,
                password_hash,
                role,
            )
    except asyncpg.UniqueViolationError as exc:
        raise errors.email_taken(email) from exc


async def find_credentials(pool: asyncpg.Pool, *, email: str) -> asyncpg.Record | None:
    """Return id, role and password_hash of the user with this email in any case, or None."""
    with database_errors("user"):
        return await pool.fetchrow(
            "SELECT id, role, password_hash FROM users WHERE lower(email) = lower($1)", email
        )


async def update_password_hash(pool: asyncpg.Pool, *, user_id: UUID, password_hash: str) -> None:
    with database_errors("user"):
        await pool.execute(
            "UPDATE users SET password_hash = $2 WHERE id = $1", user_id, password_hash
        )


async def fetch_user(pool: asyncpg.Pool, *, user_id: UUID) -> asyncpg.Record:
    with database_errors("user"):
        row = await pool.fetchrow(f"SELECT {PUBLIC_COLUMNS} FROM users WHERE id = $1", user_id)
    if row is None:
        raise errors.user_not_found(str(user_id))
    return row


async def delete_user(pool: asyncpg.Pool, *, user_id: UUID) -> None:
    with database_errors("user"):
        deleted = await pool.fetchval("DELETE FROM users WHERE id = $1 RETURNING id", user_id)
    if deleted is None:
        raise errors.user_not_found(str(user_id))


async def upsert_admin(
    connection: asyncpg.Connection, *, email: str, name: str, password_hash: str
) -> tuple[asyncpg.Record, bool]:
    """Create an admin, or promote the user with this email; return the row and if created.

    An existing user keeps their name and password, so running the command again never
    locks anyone out.
    """
    row = await connection.fetchrow(
        "INSERT INTO users (email, name, password_hash, role) VALUES ($1, $2, $3, 'admin')"
        " ON CONFLICT ((lower(email))) DO UPDATE SET role = 'admin'"
        f" RETURNING {PUBLIC_COLUMNS}, (xmax = 0) AS created",
        email,
        name,
        password_hash,
    )
    return row, row["created"]

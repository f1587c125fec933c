import asyncio
import contextlib

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from servicekit.app import create_app
from servicekit.errors import ConflictError
from servicekit.server import run
from servicekit.settings import DatabaseSettings, ServiceSettings
from servicekit.stores import open_stores


class Settings(ServiceSettings, DatabaseSettings):
    pass


class NoteCreate(BaseModel):
    text: str = Field(min_length=1, max_length=20)


router = APIRouter()


@router.post("/notes/{note_id}", status_code=201)
async def create_note(note_id: int, note: NoteCreate, request: Request) -> dict:
    """Store a note; id 0 is taken, to exercise domain errors."""
    if note_id == 0:
        raise ConflictError("Note 0 exists.", code="note_exists", details={"note_id": 0})
    pool = request.app.state.pool
    new_id = await pool.fetchval("INSERT INTO notes (text) VALUES ($1) RETURNING id", note.text)
    return {"id": new_id}


@router.get("/slow")
async def read_slowly(seconds: float = 1.0) -> dict:
    """Return after a delay, to test draining."""
    await asyncio.sleep(seconds)
    return {"slept": seconds}


@router.get("/crash")
async def crash() -> dict:
    """Raise an unexpected error."""
    raise RuntimeError("boom")


def main() -> None:
    settings = Settings()

    @contextlib.asynccontextmanager
    async def resources(app):
        async with open_stores(
            app, settings, migrations_package="sample_service", wait_seconds=5
        ) as checks:
            yield checks

    app = create_app(settings, title="sample", version="0", routers=[router], resources=resources)
    run(app, settings)


if __name__ == "__main__":
    main()

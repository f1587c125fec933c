"""Servers for the benchmark's reference points, run as `python -m loadtest.bench_servers`.

- `bare PORT`: a FastAPI app with one endpoint, served as the services are (uvicorn with
  uvloop and httptools, no access log): the framework's ceiling.
- `raw PORT`: a fixed HTTP response written by an asyncio protocol, far cheaper than any
  framework, so that a load generator aimed at it runs out of CPU first.
"""

import asyncio
import sys

import uvicorn
import uvloop
from fastapi import FastAPI

app = FastAPI()

_RAW_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
    b'{"ok":true}'
)


@app.get("/ping")
async def read_ping() -> dict[str, bool]:
    """Return a constant body."""
    return {"ok": True}


class RawProtocol(asyncio.Protocol):
    """Write the same response for each request; requests must be GETs without a body."""

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            _, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            self.transport.write(_RAW_RESPONSE)


async def serve_raw(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(RawProtocol, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    if kind == "raw":
        uvloop.run(serve_raw(port))
        return
    uvicorn.run(app, host="127.0.0.1", port=port, loop="uvloop", http="httptools",
                access_log=False, log_level="warning")


if __name__ == "__main__":
    main()

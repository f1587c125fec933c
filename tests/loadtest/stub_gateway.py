"""A stand-in for the gateway's public API, enough for the locustfile's journeys.

Run as `python stub_gateway.py PORT STATUS`: every request to /api/v1/products/<id>
returns STATUS, so a test chooses whether the SLO check passes.
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PRODUCTS = [{"id": i, "name": f"Blue Mug {i}", "category": "kitchen"} for i in range(1, 31)]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    product_status = 200

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/api/v1/products":
            self._send(200, {"items": PRODUCTS, "total": len(PRODUCTS), "limit": 100, "offset": 0})
        elif path.startswith("/api/v1/products/"):
            self._send(self.product_status, {"id": 1})
        elif path.startswith("/api/v1/orders"):
            self._send(200, {"items": [], "total": 0, "limit": 10, "offset": 0})
        else:
            self._send(200, {"id": "u1"})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/api/v1/auth/token":
            self._send(200, {"access_token": "token", "token_type": "bearer", "expires_in": 900})
        elif self.path == "/api/v1/orders":
            self._send(201, {"id": "7d0f1c1e-0000-4000-8000-000000000001"})
        else:
            self._send(201, {"id": "u1"})

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


if __name__ == "__main__":
    Handler.product_status = int(sys.argv[2])
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    print("ready", flush=True)
    server.serve_forever()

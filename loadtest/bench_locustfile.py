"""One FastHttpUser that repeats a single request with no wait, for the benchmark.

BENCH_METHOD, BENCH_PATH, BENCH_HEADERS and BENCH_BODY (JSON) choose the request. A POST
gets a fresh Idempotency-Key each time, and its body's product id is drawn from 1 to
BENCH_PRODUCT_COUNT, so that no single product sells out during the run. Some seeded
products have little stock, so a 409 `insufficient_stock` counts as a success, as in the
shopper locustfile.
"""

import json
import os
import random
import uuid

from locust import task
from locust.contrib.fasthttp import FastHttpUser

METHOD = os.environ.get("BENCH_METHOD", "GET")
PATH = os.environ.get("BENCH_PATH", "/ping")
HEADERS = json.loads(os.environ.get("BENCH_HEADERS", "{}"))
BODY = json.loads(os.environ.get("BENCH_BODY", "null"))
PRODUCT_COUNT = int(os.environ.get("BENCH_PRODUCT_COUNT", "1"))


class BenchUser(FastHttpUser):
    @task
    def send(self) -> None:
        if METHOD == "GET":
            self.client.get(PATH, headers=HEADERS, name=PATH)
            return
        headers = {**HEADERS, "Idempotency-Key": str(uuid.uuid4())}
        body = json.loads(json.dumps(BODY))
        for item in body.get("items", []):
            item["product_id"] = random.randint(1, PRODUCT_COUNT)
        with self.client.request(
            METHOD, PATH, json=body, headers=headers, name=PATH, catch_response=True
        ) as response:
            if response.status_code == 409 and b"insufficient_stock" in response.content:
                response.success()

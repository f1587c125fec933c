"""No secret in any service's log after a full journey with access logs on."""

import re
import time
import uuid

from security_testing import USER_PASSWORD, register

# A PostgreSQL or Redis URL with a password: scheme://user:password@host.
URL_WITH_PASSWORD = re.compile(r"(postgres(ql)?|redis)://[^/\s:@\"]*:[^@\s\"]+@")


def _journey(gateway, admin, product_id: int) -> list[str]:
    """Register, log in, order, cancel and write a product as admin; return the tokens used."""
    customer = register(gateway)
    placed = gateway.post(
        "/orders",
        json={"items": [{"product_id": product_id, "quantity": 1}]},
        headers={**customer.headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert placed.status_code == 201, placed.text
    cancelled = gateway.post(f"/orders/{placed.json()['id']}/cancel", headers=customer.headers)
    assert cancelled.status_code == 200, cancelled.text

    written = gateway.patch(
        f"/products/{product_id}", json={"description": "journey"}, headers=admin.headers
    )
    assert written.status_code == 200, written.text

    failed_login = gateway.post(
        "/auth/token", json={"email": customer.email, "password": "Wrong-" + USER_PASSWORD}
    )
    assert failed_login.status_code == 401
    return [customer.token, admin.token]


def _all_logs(stack, last_line: str, timeout: float = 5.0) -> str:
    """Return every log, polled until last_line is in, because access lines follow responses."""
    deadline = time.monotonic() + timeout
    while True:
        logs = "\n".join(
            path.read_text(errors="replace") for path in stack.config.log_dir.glob("*.log")
        )
        if last_line in logs or time.monotonic() > deadline:
            return logs
        time.sleep(0.05)


def test_logs_contain_no_secret(stack, gateway, admin, stocked_product):
    tokens = _journey(gateway, admin, stocked_product)
    logs = _all_logs(stack, '"route":"/api/v1/auth/token","status":401')
    secrets = {
        "customer password": USER_PASSWORD,
        "wrong password": "Wrong-" + USER_PASSWORD,
        "admin password": stack.admin_password,
        "JWT secret": stack.jwt_secret,
        "customer token": tokens[0],
        "admin token": tokens[1],
        "token signature": tokens[0].rsplit(".", 1)[1],
    }

    assert "POST" in logs, "the access log is missing"
    assert "/api/v1/orders" in logs, "the access log has no order request"
    for name, value in secrets.items():
        assert value not in logs, f"the {name} appears in a service log"
    assert URL_WITH_PASSWORD.search(logs) is None

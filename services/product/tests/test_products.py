"""Catalog routes: list, search, read, admin writes and input validation."""

import pytest
from product_testing import ADMIN_HEADERS, CUSTOMER_HEADERS, error_fields, unique


def test_list_products_paginates_by_id(client, create_product):
    category = unique("paging")
    created = [create_product(category=category) for _ in range(5)]

    first = client.get("/products", params={"category": category, "limit": 2}).json()
    third = client.get("/products", params={"category": category, "limit": 2, "offset": 4}).json()

    assert [item["id"] for item in first["items"]] == [created[0]["id"], created[1]["id"]]
    assert first["total"] == 5
    assert first["limit"] == 2
    assert first["offset"] == 0
    assert [item["id"] for item in third["items"]] == [created[4]["id"]]


def test_list_products_searches_name_case_insensitively(client, create_product):
    category = unique("search")
    lamp = create_product(category=category, name="Brass Desk LAMP")
    create_product(category=category, name="Oak Chair")

    page = client.get("/products", params={"category": category, "q": "desk lamp"}).json()

    assert [item["id"] for item in page["items"]] == [lamp["id"]]
    assert page["total"] == 1


def test_list_products_treats_wildcards_literally(client, create_product):
    category = unique("wildcard")
    discounted = create_product(category=category, name="Mug 50% off")
    create_product(category=category, name="Mug 500 ml")

    page = client.get("/products", params={"category": category, "q": "50%"}).json()

    assert [item["id"] for item in page["items"]] == [discounted["id"]]


def test_list_products_filters_category_exactly(client, create_product):
    category = unique("garden")
    inside = create_product(category=category)
    create_product(category=category + "-other")

    page = client.get("/products", params={"category": category}).json()

    assert [item["id"] for item in page["items"]] == [inside["id"]]


def test_list_products_defaults(client):
    page = client.get("/products").json()

    assert page["limit"] == 20
    assert page["offset"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 10_001}, "offset"),
        ({"q": "x" * 101}, "q"),
        ({"limit": "ten"}, "limit"),
    ],
)
def test_list_products_rejects_bad_query(client, params, field):
    response = client.get("/products", params=params)

    assert response.status_code == 422
    assert error_fields(response) == {field}


def test_read_product_returns_fields(client, create_product):
    created = create_product(name="Reading Lamp", price_cents=2500, stock=7)

    response = client.get(f"/products/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created
    assert set(created) == {
        "id", "sku", "name", "description", "category", "price_cents", "stock",
        "created_at", "updated_at",
    }


def test_read_product_not_found(client):
    response = client.get("/products/999999999")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "product_not_found"
    assert response.json()["error"]["details"] == {"product_id": 999999999}


@pytest.mark.parametrize("product_id", ["0", "-1", "abc", str(2**63)])
def test_read_product_rejects_bad_id(client, product_id):
    response = client.get(f"/products/{product_id}")

    assert response.status_code == 422
    assert error_fields(response) == {"product_id"}


def test_create_product_sku_taken(client, create_product):
    existing = create_product()
    body = {**existing, "name": "Copy"}
    for key in ("id", "created_at", "updated_at"):
        body.pop(key)

    response = client.post("/products", json=body, headers=ADMIN_HEADERS)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "sku_taken"


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"price_cents": -1}, "price_cents"),
        ({"stock": -5}, "stock"),
        ({"name": ""}, "name"),
        ({"sku": None}, "sku"),
        ({"stock": 2**31}, "stock"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_create_product_rejects_invalid_body(client, override, field):
    body = {
        "sku": unique("SKU"),
        "name": "Lamp",
        "category": "test",
        "price_cents": 100,
        "stock": 1,
        **override,
    }

    response = client.post("/products", json=body, headers=ADMIN_HEADERS)

    assert response.status_code == 422
    assert error_fields(response) == {field}


def test_create_product_requires_admin(client):
    body = {"sku": unique("SKU"), "name": "Lamp", "category": "t", "price_cents": 1, "stock": 1}

    as_customer = client.post("/products", json=body, headers=CUSTOMER_HEADERS)
    anonymous = client.post("/products", json=body)

    assert as_customer.status_code == 403
    assert anonymous.status_code == 401


def test_update_product_changes_only_sent_fields(client, create_product):
    created = create_product(name="Old Name", price_cents=1000)

    response = client.patch(
        f"/products/{created['id']}", json={"price_cents": 1500}, headers=ADMIN_HEADERS
    )

    assert response.status_code == 200
    assert response.json()["price_cents"] == 1500
    assert response.json()["name"] == "Old Name"
    assert response.json()["updated_at"] > created["updated_at"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "body"), ({"name": None}, "name"), ({"stock": -1}, "stock"), ({"id": 5}, "id")],
)
def test_update_product_rejects_invalid_body(client, create_product, body, field):
    created = create_product()

    response = client.patch(f"/products/{created['id']}", json=body, headers=ADMIN_HEADERS)

    assert response.status_code == 422
    assert error_fields(response) == {field}


def test_update_product_not_found(client):
    response = client.patch("/products/888888888", json={"stock": 1}, headers=ADMIN_HEADERS)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "product_not_found"


def test_update_product_sku_taken(client, create_product):
    first = create_product()
    second = create_product()

    response = client.patch(
        f"/products/{second['id']}", json={"sku": first["sku"]}, headers=ADMIN_HEADERS
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "sku_taken"


def test_update_product_requires_admin(client, create_product):
    created = create_product()

    as_customer = client.patch(
        f"/products/{created['id']}", json={"stock": 1}, headers=CUSTOMER_HEADERS
    )
    anonymous = client.patch(f"/products/{created['id']}", json={"stock": 1})

    assert as_customer.status_code == 403
    assert anonymous.status_code == 401

"""The combined API description: merged from the real services, and when one is down."""

from gateway_service.openapi import merge


def test_openapi_combined_has_public_paths(client):
    response = client.get("/api/v1/openapi.json")
    paths = response.json()["paths"]

    assert response.status_code == 200
    assert "/api/v1/orders" in paths
    assert "/api/v1/orders/{order_id}/cancel" in paths
    assert "/api/v1/products/{product_id}" in paths
    assert "/api/v1/users/me" in paths
    assert "/api/v1/auth/token" in paths
    assert response.json()["x-missing-services"] == {}


def test_openapi_combined_has_no_internal_paths(client):
    document = client.get("/api/v1/openapi.json").text

    assert "/internal" not in document


def test_openapi_combined_refs_resolve(client):
    document = client.get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]

    refs = _refs(document)

    assert refs
    assert sorted(ref for ref in refs if ref.rsplit("/", 1)[-1] not in schemas) == []


def test_openapi_marks_authenticated_operations(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert paths["/api/v1/orders"]["post"]["security"] == [{"bearerAuth": []}]
    assert "security" not in paths["/api/v1/products"]["get"]


def test_openapi_missing_services_named(lone_client):
    response = lone_client.get("/api/v1/openapi.json")
    document = response.json()

    assert response.status_code == 200
    assert document["x-missing-services"] == {
        "order": "upstream_unavailable",
        "product": "upstream_unavailable",
        "user": "upstream_unavailable",
    }
    assert "Incomplete" in document["info"]["description"]


def test_docs_serves_swagger_ui(lone_client):
    response = lone_client.get("/api/v1/docs")

    assert response.status_code == 200
    assert "/api/v1/openapi.json" in response.text


def test_fastapi_default_docs_removed(lone_client):
    assert lone_client.get("/openapi.json").status_code == 404


def test_merge_renames_clashing_schemas():
    def service_doc(path: str, definition: dict) -> dict:
        return {
            "paths": {
                path: {
                    "get": {
                        "operationId": "read",
                        "responses": {
                            "200": {
                                "content": {
                                    "application/json": {
                                        "schema": {"$ref": "#/components/schemas/Item"}
                                    }
                                }
                            }
                        },
                    }
                }
            },
            "components": {"schemas": {"Item": definition, "Shared": {"type": "string"}}},
        }

    merged = merge(
        {
            "product": service_doc("/products", {"type": "object", "title": "Product"}),
            "order": service_doc("/orders", {"type": "object", "title": "Order"}),
        },
        {},
        title="t",
        version="1",
    )
    schemas = merged["components"]["schemas"]
    order_ref = merged["paths"]["/api/v1/orders"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["$ref"]

    assert schemas["Item"]["title"] == "Product"
    assert schemas["order.Item"]["title"] == "Order"
    assert order_ref == "#/components/schemas/order.Item"
    assert "order.Shared" not in schemas


def test_merge_drops_unexposed_paths():
    doc = {
        "paths": {
            "/internal/reservations": {"post": {"operationId": "reserve"}},
            "/products": {"delete": {"operationId": "purge"}},
        }
    }

    merged = merge({"product": doc}, {}, title="t", version="1")

    assert merged["paths"] == {}


def _refs(value) -> list[str]:
    if isinstance(value, dict):
        found = [value["$ref"]] if isinstance(value.get("$ref"), str) else []
        return found + [ref for item in value.values() for ref in _refs(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in _refs(item)]
    return []


def test_combined_openapi_omits_internal_schemas(client):
    document = client.get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]

    assert not [name for name in schemas if "Reservation" in name]
    assert "ProductPublic" in schemas

"""Routes for the combined API description and its Swagger UI."""

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse, Response

from gateway_service.proxy import PREFIX

router = APIRouter(include_in_schema=False)


@router.get(PREFIX + "/openapi.json")
async def read_openapi(request: Request) -> Response:
    """Return the OpenAPI description of the whole public API."""
    document = await request.app.state.openapi.document()
    return Response(document, media_type="application/json")


@router.get(PREFIX + "/docs")
async def read_docs() -> HTMLResponse:
    """Serve Swagger UI for the public API."""
    return get_swagger_ui_html(openapi_url=PREFIX + "/openapi.json", title="Shop API")

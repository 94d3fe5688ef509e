"""An ASGI app: dockless starts `uvicorn main:app` on $PORT because uvicorn is a dependency."""

import sys

import starlette
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def index(request):  # type: ignore[no-untyped-def]
    return PlainTextResponse(f"hello from starlette {starlette.__version__} on python {sys.version.split()[0]} (uv)\n")


app = Starlette(routes=[Route("/", index)])

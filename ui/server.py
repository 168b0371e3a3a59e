"""What ``ragloom ui`` serves: the chat (``ui/app.py``) plus one route that opens cited PDFs at their page.

``streamlit run ui/server.py`` finds the ``st.App`` below and serves the chat as usual; the extra
route answers only tokens that ``ui.file_links`` handed out for PDF sources of the open index (see
there for the confinement rules). Running ``streamlit run ui/app.py`` still works: the sources then
offer a download button instead of the link.
"""

from __future__ import annotations

import streamlit as st
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from ui.file_links import ROUTE, file_for, mark_route_mounted


async def serve_source(request: Request) -> Response:
    path = file_for(request.path_params["token"], request.path_params["name"])
    if path is None:
        return PlainTextResponse("not found", status_code=404)
    # inline: the browser's PDF viewer opens it and honours #page=N; nosniff: it is only ever a PDF
    return FileResponse(path, media_type="application/pdf", filename=path.name, content_disposition_type="inline",
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
                                 "Referrer-Policy": "no-referrer"})


mark_route_mounted()
app = st.App("app.py", routes=[Route(ROUTE, serve_source, methods=["GET", "HEAD"])])

"""The baseline of the sync benchmark: a FastAPI endpoint that reads the body and says 200.

Served by uvicorn exactly like the gateway (one process, same event loop and HTTP
implementation), so the ratio ours/bare measures what verifying, storing and
committing a webhook costs on top of the web stack itself.

    python -m uvicorn bare_app:app --app-dir bench --port 8001
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response

app = FastAPI(title="bare baseline")


@app.post("/webhooks/{connection}")
async def receive(connection: str, request: Request) -> Response:
    """Read the body, store nothing, answer 200."""
    await request.body()
    return Response(status_code=200)


@app.get("/health")
async def health() -> dict[str, str]:
    """Readiness probe, as the gateway has."""
    return {"status": "ok"}

"""``ledgerbridge sandbox SYSTEM``: serve a vendor emulator on a local port."""

from __future__ import annotations

from typing import Annotated

import typer

from ledgerbridge.cli.common import console, fail
from ledgerbridge.sandbox.emulators import EMULATED, SandboxOptions, emulator_app

__all__ = ["sandbox"]

_DEFAULTS = SandboxOptions()


def sandbox(
    system: Annotated[str, typer.Argument(help=f"One of: {', '.join(EMULATED)}.")],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 12111,
    api_key: Annotated[str, typer.Option(help="Credential the emulator accepts.")] =
        _DEFAULTS.api_key,
    webhook_url: Annotated[
        str | None, typer.Option(help="Send signed webhooks here (e.g. the gateway's URL).")
    ] = None,
    webhook_secret: Annotated[str, typer.Option(help="Webhook signing secret.")] =
        _DEFAULTS.webhook_secret,
    seed: Annotated[int, typer.Option(help="Seed of generated sample data.")] = 0,
) -> None:
    """Serve an emulator of SYSTEM's API, for trying a connection without the vendor."""
    import uvicorn

    try:
        app = emulator_app(system, SandboxOptions(api_key, webhook_url, webhook_secret, seed))
    except ValueError as exc:
        raise fail(str(exc)) from None
    console.print(f"{system} emulator on http://{host}:{port} (credential {api_key!r})")
    uvicorn.run(app, host=host, port=port, log_level="warning")

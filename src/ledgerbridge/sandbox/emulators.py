"""Vendor emulators for the sandbox: real HTTP servers speaking each vendor's wire format.

Each outside system with an emulator has a module ``ledgerbridge.connectors.<system>.emulator``
exposing ``sandbox_app(options)``, which builds its FastAPI app from the options below.
``ledgerbridge sandbox SYSTEM`` serves it, so a connection can be tried end to end before
go-live without touching the vendor.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

__all__ = ["EMULATED", "SandboxOptions", "emulator_app"]

EMULATED = ("gusto", "hubspot", "paypal", "plaid", "quickbooks", "ramp", "salesforce",
            "shopify", "stripe", "xero")
"""Systems that have an emulator."""


@dataclass(frozen=True, slots=True)
class SandboxOptions:
    """What every emulator is configured with.

    Attributes:
        api_key: the credential the emulator accepts (API key, token or client secret).
        webhook_url: where the emulator sends its signed webhooks (None: it sends none).
        webhook_secret: the signing secret of those webhooks.
        seed: seeds any generated sample data, so a run can be repeated.

    """

    api_key: str = "sk_test_sandbox"
    webhook_url: str | None = None
    webhook_secret: str = "whsec_sandbox"
    seed: int = 0


def emulator_app(system: str, options: SandboxOptions) -> Any:
    """The ASGI app emulating ``system``."""
    if system not in EMULATED:
        raise ValueError(f"no emulator for {system!r} (emulated: {', '.join(EMULATED)})")
    module = importlib.import_module(f"ledgerbridge.connectors.{system}.emulator")
    return module.sandbox_app(options)

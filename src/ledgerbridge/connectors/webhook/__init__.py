"""The built-in ``webhook`` connector: canonical documents from any tool, HMAC-signed.

For systems without a dedicated connector (n8n, Zapier, a script). The body is one
canonical document as JSON, or a JSON list of them; the request is signed with
``X-Ledgerbridge-Signature: sha256=<hex HMAC-SHA256 of the raw body>`` under the
connection's secret. ``X-Ledgerbridge-Event-Id`` (optional) deduplicates deliveries.
"""

from ledgerbridge.connectors.webhook.connector import WebhookConnector, WebhookSettings, sign

__all__ = ["WebhookConnector", "WebhookSettings", "sign"]

"""The dashboard's routers, one per area."""

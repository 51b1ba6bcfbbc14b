"""Listeners, one module per Slack surface, each with register(app, svc)."""

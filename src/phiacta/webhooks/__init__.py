"""Webhooks: events of the durable log delivered as HMAC-signed POSTs, retried on a schedule."""

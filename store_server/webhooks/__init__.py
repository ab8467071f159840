"""Outbound webhooks: subscriptions to event types, signed deliveries from the event log, retries."""

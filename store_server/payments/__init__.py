"""Payments: the Alipay gateway client, the payment-code flow and the sandbox gateway."""

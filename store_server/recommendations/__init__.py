"""Recommendations: "bought together", "for you" and best sellers, mined from order history."""

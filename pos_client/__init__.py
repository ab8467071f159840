"""Plaza pos_client package."""

"""Plaza store_server package."""

"""Staff accounts, roles, password/PIN hashing and API tokens."""

"""Background jobs: one lease queue in the database, run by ``store-server worker``."""

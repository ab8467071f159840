"""Running the store server in production: health checks, structured logs, metrics."""

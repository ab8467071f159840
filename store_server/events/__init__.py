"""Events: the transactional outbox every change writes, and the device changes feed."""

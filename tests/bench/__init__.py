"""Benchmarks: ``python3 dev.py bench`` (or ``python -m tests.bench``). They print figures."""

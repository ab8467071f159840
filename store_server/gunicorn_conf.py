"""gunicorn settings for the store server:

    gunicorn -c python:store_server.gunicorn_conf -w 4 --threads 8 'store_server:create_app()'

gunicorn answers a request line over its limit with its own HTML page; Plaza's API answers
every error as problem+json. So gunicorn does not cut request lines here, and the application
refuses over-long URLs itself (414 problem, store_server.app.MAX_URL_LENGTH).

gunicorn's own lines (start-up, workers, one access line per request) are written in the shape
of Plaza's (``PLAZA_LOG_FORMAT``, JSON by default) with the request's id.

Metrics: each worker process counts in its own files under ``PROMETHEUS_MULTIPROC_DIR`` and
``/metrics`` adds them up, so the figures are the server's whatever worker answers the scrape.
The directory is made here when the environment names none, and emptied at start (counts of an
earlier run must not be added in).
"""

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from store_server.config import Settings
from store_server.monitoring.logs import logging_config

limit_request_line = 0

_settings = Settings()
logconfig_dict = logging_config(_settings.log_format, _settings.log_level, _settings.access_log)

# Before any worker imports prometheus_client: the client picks its multiprocess mode from this
# variable when it is first imported (the app imports it lazily, so a forked worker sees it).
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="plaza-metrics-")


def on_starting(server: Any) -> None:
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    # A dead worker's live gauges stop counting; its counters and histograms stay in the sums.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)

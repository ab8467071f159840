"""How a print job carries its id in the ESC/POS byte stream.

We use Epson's process-ID command ``GS ( H fn=48`` (``1d 28 48 06 00 30 30 d1 d2 d3 d4``):
printers that know it store the four bytes and send them back (``37 22 d1 d2 d3 d4 00``) once
everything before it has been processed, and it prints nothing. A job starts with a run of
these carrying ``{<job id>}`` four characters at a time, and ends with one carrying ``DONE``:
the virtual printer dedupes on the id and answers ``DONE`` once the job is printed (or was
printed before), which is the acknowledgement the client's spool journal waits for.
"""

from __future__ import annotations

import re

PROCESS_ID_PREFIX = b"\x1d\x28\x48\x06\x00\x30\x30"
PROCESS_ID_RESPONSE_HEADER = b"\x37\x22"
JOB_END_MARKER = "DONE"
JOB_END = PROCESS_ID_PREFIX + JOB_END_MARKER.encode("ascii")
JOB_ID_PATTERN = re.compile(r"[!-z|~]{1,64}")  # printable ASCII without space, { and }


class InvalidJobId(ValueError):
    """A job id that cannot travel in process-ID commands."""


def validate_job_id(job_id: str) -> str:
    if not JOB_ID_PATTERN.fullmatch(job_id or ""):
        raise InvalidJobId(
            f"job id {job_id!r} must be 1-64 printable ASCII characters without spaces or braces"
        )
    return job_id


def process_id_command(four: str) -> bytes:
    data = four.encode("ascii")
    if len(data) != 4 or not all(32 <= b <= 126 for b in data):
        raise InvalidJobId(f"a process id is four printable ASCII characters, not {four!r}")
    return PROCESS_ID_PREFIX + data


def job_header(job_id: str) -> bytes:
    """The process-ID commands that name the job, sent right after ``ESC @``."""
    wrapped = "{" + validate_job_id(job_id) + "}"
    wrapped += " " * (-len(wrapped) % 4)
    return b"".join(process_id_command(wrapped[i:i + 4]) for i in range(0, len(wrapped), 4))


def job_id_from_process_ids(process_ids: list[str]) -> str | None:
    """Read the job id back from the process ids found in a job (None if it has none)."""
    text = "".join(process_ids)
    start = text.find("{")
    end = text.find("}", start + 1)
    if start < 0 or end < 0:
        return None
    candidate = text[start + 1:end]
    return candidate if JOB_ID_PATTERN.fullmatch(candidate) else None


def process_id_response(four: str) -> bytes:
    return PROCESS_ID_RESPONSE_HEADER + four.encode("ascii") + b"\x00"


def responses_contain_end(data: bytes) -> bool:
    return process_id_response(JOB_END_MARKER) in data

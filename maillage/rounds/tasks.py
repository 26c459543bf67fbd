"""Rounds' tasks (discovered by ``huey.contrib.djhuey``): a proposal computed off the request."""

from huey.contrib.djhuey import db_task

from .services import proposal_compute


@db_task()
def rounds_propose(pk: int) -> str:
    """Compute a requested proposal (queued when it is requested)."""
    return proposal_compute(pk)

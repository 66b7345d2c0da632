"""Pre-label with a trained model on the inference worker, then show the least certain image."""

from __future__ import annotations

from pathlib import Path

JOB = "prelabel-trained"


def prelabel_job(project_root: Path, card: str):
    """A worker job with its own database connection (SQLite connections stay per thread)."""

    def job(cancel, progress):
        from segstudio.store import Project
        from segstudio.training.closed_loop import prelabel_with_trained

        with Project.open(project_root) as project:
            return prelabel_with_trained(project, card, cancel=cancel, progress=progress)

    return job


def latest_card(project_root: Path) -> str | None:
    from segstudio.training.cards import project_cards

    cards = project_cards(project_root)
    return str(cards[-1].path) if cards else None

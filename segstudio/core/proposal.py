"""Model output awaiting accept/reject.  Proposals live outside the undo history:
only accepting one is a command (see commands.AcceptProposal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from segstudio.core.masks import MaskPatch


@dataclass(frozen=True, eq=False)
class Proposal:
    mask: MaskPatch
    score: float | None = None
    category_id: int | None = None
    model_id: str = ""
    # When set, accepting replaces this instance's mask instead of adding a new instance.
    target_instance_id: int | None = None
    # Optional soft alpha (float32 in [0,1]) over the patch box, for background removal.
    alpha: np.ndarray | None = None
    prompt: dict[str, Any] = field(default_factory=dict)
    request_id: int = 0

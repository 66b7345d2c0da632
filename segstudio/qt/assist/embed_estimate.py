"""How long a click model's image embedding should take here, for the "preparing… 3 s of ~5 s"
progress in the AI Assist panel.

The encoder is one onnxruntime call with no progress of its own, so the progress shown is an
estimate: the last embedding time measured for this model on this machine (kept in the app's
settings, so it survives a restart), else the catalogue's expected CPU cost for the model, else
none (the panel then shows elapsed seconds and a busy bar).  The bar stops short of 100 % until
the embedding is really done, however long it overruns.
"""

from __future__ import annotations

from dataclasses import dataclass

from segstudio.qt.settings import app_settings, value

SETTINGS_GROUP = "assist/embedding_seconds"
MAX_ESTIMATED_PERCENT = 95  # an estimate never claims "done"
# a cache hit (memory or disk) takes milliseconds: not a measurement of the encoder
MIN_MEASURED_S = 0.3


@dataclass(frozen=True)
class PreparingState:
    text: str
    percent: int | None  # None: no estimate, show a busy bar


def preparing_state(model_name: str, waited_s: float, expected_s: float | None) -> PreparingState:
    head = f"preparing {model_name} for this image… {waited_s:.0f} s"
    if not expected_s or expected_s <= 0:
        return PreparingState(head, None)
    percent = min(MAX_ESTIMATED_PERCENT, int(100 * waited_s / expected_s))
    return PreparingState(f"{head} of ~{_round_estimate(expected_s)} s", percent)


def _round_estimate(seconds: float) -> str:
    """"2.5", "5", "1.3" under 10 s (a tenth matters there), whole seconds above."""
    if seconds < 9.95:
        return f"{seconds:.1f}".removesuffix(".0")
    return str(int(seconds + 0.5))


class EmbeddingEstimates:
    """Expected embedding seconds per model id: measured here (remembered in settings) first,
    then the catalogue's `expected_cpu.encoder_s`."""

    def __init__(self) -> None:
        self._catalogue: dict[str, float] | None = None

    def expected(self, model_id: str) -> float | None:
        measured = value(app_settings(), self._key(model_id), 0.0, float)
        if measured > 0:
            return measured
        return self._catalogue_costs().get(model_id)

    def record(self, model_id: str, seconds: float) -> bool:
        """Remember a measured embedding time; cache hits (too quick to be the encoder) are not
        recorded.  Returns whether it was kept."""
        if seconds < MIN_MEASURED_S:
            return False
        settings = app_settings()
        settings.setValue(self._key(model_id), round(float(seconds), 3))
        settings.sync()
        return True

    @staticmethod
    def _key(model_id: str) -> str:
        # QSettings treats '/' as a group separator; model ids are folder names, so have none
        return f"{SETTINGS_GROUP}/{model_id.replace('/', '_')}"

    def _catalogue_costs(self) -> dict[str, float]:
        if self._catalogue is None:
            from segstudio.inference.base import ModelError
            from segstudio.inference.catalogue import load_catalogue

            try:
                entries = load_catalogue().entries
            except ModelError:  # a broken catalogue costs the estimate, nothing else
                entries = []
            self._catalogue = {e.id: e.encoder_s for e in entries if e.encoder_s}
        return self._catalogue

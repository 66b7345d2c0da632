"""Import and export reports: what was done, what was lost (exactly), what was skipped and why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

MAX_EXAMPLES = 20  # per kind of loss; the counts stay exact


@dataclass
class Report:
    format: str
    images: int = 0
    instances: int = 0
    per_category: Counter = field(default_factory=Counter)  # category name -> instances
    losses: Counter = field(default_factory=Counter)  # kind of loss -> count
    loss_examples: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (item, reason)
    warnings: list[str] = field(default_factory=list)

    def count(self, category: str, n: int = 1) -> None:
        self.per_category[category] += n
        self.instances += n

    def lose(self, kind: str, item: str, n: int = 1) -> None:
        """Record a conversion that lost information, e.g. lose('holes filled', 'a.png #3')."""
        self.losses[kind] += n
        examples = self.loss_examples.setdefault(kind, [])
        if len(examples) < MAX_EXAMPLES:
            examples.append(item)

    def skip(self, item: str, reason: str) -> None:
        self.skipped.append((item, reason))

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    @property
    def lossless(self) -> bool:
        return not self.losses and not self.skipped

    def _head(self) -> list[str]:
        return []

    def lines(self) -> list[str]:
        out = self._head()
        if self.per_category:
            out.append("instances per category:")
            width = max(len(n) for n in self.per_category)
            for name, n in sorted(self.per_category.items(), key=lambda kv: (-kv[1], kv[0])):
                out.append(f"  {name:<{width}}  {n}")
        if self.losses:
            out.append("information lost in conversion:")
            for kind, n in sorted(self.losses.items()):
                ex = self.loss_examples.get(kind, [])
                more = f", e.g. {', '.join(ex[:3])}" if ex else ""
                out.append(f"  {kind}: {n}{more}")
        else:
            out.append("no information lost")
        if self.skipped:
            out.append(f"skipped {len(self.skipped)}:")
            for item, reason in self.skipped[:50]:
                out.append(f"  {item}: {reason}")
            if len(self.skipped) > 50:
                out.append(f"  ... and {len(self.skipped) - 50} more")
        for w in self.warnings[:50]:
            out.append(f"warning: {w}")
        return out

    def text(self) -> str:
        return "\n".join(self.lines())

    def to_dict(self) -> dict[str, Any]:
        d = {
            "format": self.format,
            "images": self.images,
            "instances": self.instances,
            "per_category": dict(self.per_category),
            "losses": dict(self.losses),
            "loss_examples": self.loss_examples,
            "skipped": [list(s) for s in self.skipped],
            "warnings": self.warnings,
        }
        return d


@dataclass
class ExportReport(Report):
    destination: str = ""
    files: list[str] = field(default_factory=list)

    def _head(self) -> list[str]:
        return [
            f"exported {self.images} images, {self.instances} instances as {self.format} "
            f"to {self.destination} ({len(self.files)} files)"
        ]

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "destination": self.destination, "files": len(self.files)}


@dataclass
class ImportReport(Report):
    source: str = ""
    dry_run: bool = False
    images_added: int = 0
    images_matched: int = 0
    categories_added: list[str] = field(default_factory=list)
    validated: bool = False  # a validation read, not an import

    def _head(self) -> list[str]:
        if self.validated:
            return [f"{self.source} ({self.format}): {self.images} images, {self.instances} instances"]
        verb = "would import" if self.dry_run else "imported"
        head = [
            f"{verb} {self.images} images ({self.images_added} new, {self.images_matched} already "
            f"in the project), {self.instances} instances from {self.source} ({self.format})"
        ]
        if self.categories_added:
            head.append(f"new categories: {', '.join(self.categories_added)}")
        return head

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "source": self.source,
            "dry_run": self.dry_run,
            "images_added": self.images_added,
            "images_matched": self.images_matched,
            "categories_added": self.categories_added,
        }

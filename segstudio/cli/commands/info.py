"""`segstudio info PROJECT`: counts by status and by category."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from segstudio.cli.commands._project_arg import open_project


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="summarise a project", description="Counts of images by status and instances by category.")
    p.add_argument("project", type=Path, help="project folder or postgresql:// URL")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    project = open_project(args.project)
    with project:
        by_status = project.counts_by_status()
        cats = project.categories()
        counts = project.instance_counts_by_category()
        by_category = {c.name: counts.get(c.id, 0) for c in cats}
        label_sets = project.label_sets()
        if args.json:
            print(json.dumps({"images": project.image_count(), "status": by_status,
                              "categories": by_category, "label_sets": label_sets}, indent=2))
            return 0
        print(f"project: {project.address}")
        print(f"images: {project.image_count()}")
        for status, n in by_status.items():
            print(f"  {status:<12} {n}")
        print(f"instances: {sum(counts.values())} in {len(cats)} categories")
        for name, n in by_category.items():
            print(f"  {name:<20} {n}")
        print(f"label sets: {', '.join(label_sets)}")
    return 0

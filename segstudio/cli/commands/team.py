"""`segstudio team PROJECT ...`: roles, assignments, queues, reviews and progress per person."""

from __future__ import annotations

import argparse
from pathlib import Path

from segstudio.cli.commands._project_arg import open_project
from segstudio.cli.main import CliError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "team", help="roles, assignments, review queues and progress per person (docs/scale.md)",
        description="Work as a team on one project (usually a shared postgresql:// one). Changes "
        "are made as `segstudio --user NAME team ...` (default: $SEGSTUDIO_USER or your login name).")
    p.add_argument("project", type=Path, help="project folder or postgresql:// URL")
    ops = p.add_subparsers(dest="team_command", metavar="ACTION", required=True)
    r = ops.add_parser("role", help="give USER a role (managers only, once there is one)")
    r.add_argument("member", metavar="USER")
    r.add_argument("role", choices=["annotator", "reviewer", "manager", "none"])
    a = ops.add_parser("assign", help="assign images to USER (managers only)")
    a.add_argument("member", metavar="USER", help="a member, or '-' to unassign")
    a.add_argument("--image", type=int, action="append", default=[], metavar="ID")
    a.add_argument("--status", help="all images with this status not yet assigned")
    a.add_argument("--limit", type=int, help="at most this many of them")
    q = ops.add_parser("queue", help="USER's images to work on (rejected first, with the comment)")
    q.add_argument("member", metavar="USER", nargs="?", help="default: you")
    s = ops.add_parser("submit", help="send an image of yours to review")
    s.add_argument("image", type=int)
    v = ops.add_parser("review", help="accept an image, or reject it with a comment")
    v.add_argument("image", type=int)
    d = v.add_mutually_exclusive_group(required=True)
    d.add_argument("--accept", action="store_true")
    d.add_argument("--reject", action="store_true")
    v.add_argument("--comment", default="")
    ops.add_parser("progress", help="images assigned, done, in review and rejected per person")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from segstudio.store import team

    project = open_project(args.project)
    with project:
        try:
            return _act(project, team, args)
        except (team.NotAllowed, ValueError, KeyError) as e:
            raise CliError(str(e).strip("'\"")) from None


def _act(project, team, args) -> int:
    op = args.team_command
    if op == "role":
        team.set_role(project, args.member, None if args.role == "none" else args.role)
        print(f"{args.member}: {args.role}")
    elif op == "assign":
        ids = list(args.image)
        if args.status:
            ids += team.unassigned(project, args.status)
        if args.limit is not None:
            ids = ids[: args.limit]
        if not ids:
            raise CliError("no images to assign (give --image ID or --status STATUS)")
        n = team.assign(project, ids, None if args.member == "-" else args.member)
        print(f"assigned {n} images to {args.member}")
    elif op == "queue":
        items = team.queue(project, args.member)
        for it in items:
            note = f"  rejected: {it.comment}" if it.comment else ""
            print(f"{it.image_id:>8}  {it.status:<12} {it.path}{note}")
        if not items:
            print("nothing to do")
    elif op == "submit":
        team.submit(project, args.image)
        print(f"image {args.image} sent to review")
    elif op == "review":
        decision = "accepted" if args.accept else "rejected"
        team.review(project, args.image, decision, args.comment)
        print(f"image {args.image} {decision}")
    else:
        print(f"{'user':<16} {'role':<10} {'assigned':>8} {'done':>6} {'review':>7} {'rejected':>9}")
        for pr in team.progress(project):
            print(f"{pr.user:<16} {pr.role or '-':<10} {pr.assigned:>8} {pr.done:>6} "
                  f"{pr.in_review:>7} {pr.rejected:>9}")
    return 0

"""`segstudio install-desktop`: add SegStudio to the Linux desktop's menu (pip installs too).

Writes the desktop entry, AppStream metainfo, the MIME type of `segstudio.db` and the hicolor
icons under PREFIX/share (default ~/.local/share, the user's own data folder), with the entry's
Exec pointing at the `segstudio` that runs this command, then refreshes the desktop caches when
their tools exist. `--uninstall` removes the same files. Same result as
`packaging/linux/install-desktop.sh`, which serves checkouts and bundles.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from segstudio.cli.main import CliError

APP_ID = "io.github.segstudio.SegStudio"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
RESOURCES = Path(__file__).resolve().parents[2] / "resources"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "install-desktop",
        help="add SegStudio to the Linux desktop menu (entry, icon, file type)",
        description="Install the desktop entry, AppStream metainfo, the MIME type of project "
        "databases (segstudio.db) and the app icon for the current user (Linux).",
    )
    p.add_argument("--prefix", type=Path, help="install under PREFIX/share (default: ~/.local)")
    p.add_argument("--exec", dest="exec_cmd", metavar="COMMAND",
                   help="command the menu entry runs (default: this segstudio)")
    p.add_argument("--uninstall", action="store_true", help="remove what an earlier run installed")
    p.add_argument("--force", action="store_true", help="install even when not on Linux")
    p.set_defaults(func=run)


def installed_paths(share: Path) -> list[Path]:
    icons = share / "icons" / "hicolor"
    return [
        share / "applications" / f"{APP_ID}.desktop",
        share / "metainfo" / f"{APP_ID}.metainfo.xml",
        share / "mime" / "packages" / f"{APP_ID}.xml",
        icons / "scalable" / "apps" / f"{APP_ID}.svg",
        *(icons / f"{s}x{s}" / "apps" / f"{APP_ID}.png" for s in ICON_SIZES),
    ]


def default_exec() -> list[str]:
    """The command that started us, so the menu runs this installation (venv, bundle, pipx)."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name in ("segstudio", "segstudio.exe") and script.exists():
        return [str(script.resolve())]
    found = shutil.which("segstudio")
    return [found] if found else [sys.executable, "-m", "segstudio"]


def desktop_entry(template: str, exec_argv: list[str]) -> str:
    """The entry with Exec/TryExec set to `exec_argv` (quoted per the desktop entry spec)."""

    def quote(arg: str) -> str:
        if not any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`'):
            return arg
        return '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"'

    # Then the file-level escape of string values: a backslash is written twice.
    exec_str = " ".join(quote(a) for a in exec_argv).replace("\\", "\\\\")
    lines = []
    for line in template.splitlines():
        if line.startswith("Exec=segstudio "):
            line = f"Exec={exec_str} " + line[len("Exec=segstudio "):]
        elif line == "TryExec=segstudio":
            line = f"TryExec={exec_argv[0]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _refresh(share: Path) -> None:
    for cmd in (
        ["update-mime-database", str(share / "mime")],
        ["update-desktop-database", "-q", str(share / "applications")],
        ["gtk-update-icon-cache", "-q", "-t", "-f", str(share / "icons" / "hicolor")],
    ):
        if shutil.which(cmd[0]):
            subprocess.run(cmd, capture_output=True, check=False)


def run(args: argparse.Namespace) -> int:
    if not sys.platform.startswith("linux") and not args.force:
        raise CliError("desktop integration files are for Linux desktops; on Windows and macOS "
                       "use the desktop bundle (see packaging/README.md), or pass --force")
    prefix = args.prefix or Path(os.environ.get("HOME", str(Path.home()))) / ".local"
    share = prefix / "share"
    paths = installed_paths(share)
    if args.uninstall:
        removed = 0
        for path in paths:
            if path.exists():
                path.unlink()
                removed += 1
        _refresh(share)
        print(f"removed {removed} files of SegStudio's desktop integration from {share}")
        return 0

    desktop_src = RESOURCES / "desktop"
    icons_src = RESOURCES / "icons" / "app"
    sources = [
        desktop_src / f"{APP_ID}.desktop",
        desktop_src / f"{APP_ID}.metainfo.xml",
        desktop_src / f"{APP_ID}.mime.xml",
        icons_src / "segstudio.svg",
        *(icons_src / f"segstudio-{s}.png" for s in ICON_SIZES),
    ]
    missing = [str(p) for p in sources if not p.is_file()]
    if missing:
        raise CliError(f"this installation lacks its desktop files: {', '.join(missing[:3])}")
    exec_argv = shlex.split(args.exec_cmd) if args.exec_cmd else default_exec()
    try:
        for src, dest in zip(sources, paths):
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.suffix == ".desktop":
                text = desktop_entry(src.read_text(encoding="utf-8"), exec_argv)
                dest.write_text(text, encoding="utf-8")
            else:
                shutil.copyfile(src, dest)
    except OSError as e:
        raise CliError(f"cannot write {e.filename or share}: {e.strerror}") from None
    _refresh(share)
    print(f"SegStudio added to the desktop menu ({len(paths)} files under {share}); "
          f"the entry runs: {' '.join(exec_argv)}")
    return 0

"""The format registry: every module in `segstudio/io/formats/` that defines `FORMAT` is a format.

How to add a format (no edit of this file needed)
--------------------------------------------------
Create `segstudio/io/formats/<name>.py` (no torch, no Qt) defining::

    from segstudio.io.registry import FormatSpec, Option
    from segstudio.io.plan import ImportPlan, PlanImage, PlanInstance
    from segstudio.io.reports import ExportReport, ImportReport

    def read(src: Path, options: dict, progress, cancel) -> ImportPlan:
        # Parse `src` WITHOUT touching any project.  Raise `segstudio.io.errors.FormatError`
        # (file + JSON path / line + problem) for malformed input; record lossy conversions
        # with plan.report.lose(kind, item) and skipped items with plan.report.skip(item, why).
        ...

    def export(project, dst: Path, options: dict, progress, cancel) -> ExportReport:
        # Write through `segstudio.io.atomic.StagedOutput(dst)` / `atomic_file(path)` so a
        # failed or cancelled export leaves nothing half-written.  `exporting.iter_images`
        # gives (ImageRecord, instances) in order; count instances with report.count(name).
        ...

    FORMAT = FormatSpec(
        name="myformat", description="one line for --help",
        read_fn=read, export_fn=export,            # either may be None
        options=(Option("foo", "bar", "what foo does", choices=("bar", "baz")),),
        source="file",                              # or "folder": what SRC / DST is
    )

The generic machinery then gives you: `import_into(...)` (read + one-transaction apply +
`--dry-run`), `validate(...)`, `convert(...)` (through a temporary project), the CLI commands
`import/export/convert/validate` and the GUI Dataset menu.  A format that must write the project
itself may pass `import_fn(src, project, options, progress, cancel) -> ImportReport` instead of
`read_fn` (it must then honour `options["dry_run"]` and use `project.transaction()`).
Options arrive as a dict with every declared option present (strings converted to `type`).
Common options handled here: export `split` and `label_set`; import `mode`
(append|replace), `label_set`, `require_images`, `trust_paths` (readers confine image paths with
`segstudio.io.confine.Confined` unless it is set).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from segstudio.core.tasks import CancelToken, ProgressFn
from segstudio.io.errors import FormatError
from segstudio.io.plan import ImportPlan, apply_plan
from segstudio.io.reports import ExportReport, ImportReport

log = logging.getLogger(__name__)

ReadFn = Callable[[Path, dict, "ProgressFn | None", "CancelToken | None"], ImportPlan]
ExportFn = Callable[[Any, Path, dict, "ProgressFn | None", "CancelToken | None"], ExportReport]
ImportFn = Callable[[Path, Any, dict, "ProgressFn | None", "CancelToken | None"], ImportReport]


@dataclass(frozen=True)
class Option:
    name: str
    default: Any
    help: str
    choices: tuple | None = None
    type: type = str

    def parse(self, value: Any) -> Any:
        if value is None:
            return None
        if self.type is bool and isinstance(value, str):
            low = value.strip().lower()
            if low not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError(f"option {self.name}: expected true/false, got {value!r}")
            value = low in ("1", "true", "yes", "on")
        elif not isinstance(value, self.type):
            try:
                value = self.type(value)
            except (TypeError, ValueError):
                raise ValueError(f"option {self.name}: expected {self.type.__name__}, got {value!r}") from None
        if self.choices and value not in self.choices:
            raise ValueError(f"option {self.name}: {value!r} is not one of {', '.join(map(str, self.choices))}")
        return value


COMMON_IMPORT_OPTIONS = (
    Option("mode", "append", "append to existing annotations or replace them", ("append", "replace")),
    Option("label_set", "gt", "label set to import into"),
    Option("require_images", True, "skip entries whose image file is missing", type=bool),
    Option("trust_paths", False, "accept image paths outside the dataset folder (absolute, ../, "
           "links): only for a dataset you trust", type=bool),
)
COMMON_EXPORT_OPTIONS = (
    Option("split", None, "export only this split (train/val/test)"),
    Option("label_set", "gt", "label set to export"),
)


@dataclass(frozen=True)
class FormatSpec:
    name: str
    description: str
    read_fn: ReadFn | None = None
    export_fn: ExportFn | None = None
    validate_fn: Callable[[Path, dict], list[str]] | None = None  # extra checks -> warnings
    options: tuple[Option, ...] = ()
    import_options: tuple[Option, ...] = ()
    export_options: tuple[Option, ...] = ()
    source: str = "file"  # what SRC/DST is: "file" or "folder"
    import_fn: ImportFn | None = None
    module: str = field(default="", compare=False)

    @property
    def can_import(self) -> bool:
        return self.read_fn is not None or self.import_fn is not None

    @property
    def can_export(self) -> bool:
        return self.export_fn is not None

    def all_import_options(self) -> tuple[Option, ...]:
        return COMMON_IMPORT_OPTIONS + self.options + self.import_options

    def all_export_options(self) -> tuple[Option, ...]:
        return COMMON_EXPORT_OPTIONS + self.options + self.export_options


class UnknownFormat(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


_cache: dict[str, FormatSpec] | None = None


def formats(reload: bool = False) -> dict[str, FormatSpec]:
    """All formats by name, discovered from `segstudio.io.formats` (modules without FORMAT are
    helpers; a module that fails to import is logged and skipped, never fatal)."""
    global _cache
    if _cache is not None and not reload:
        return _cache
    from segstudio.io import formats as pkg

    found: dict[str, FormatSpec] = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        try:
            module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        except Exception:  # a broken plug-in must not take the others down
            log.exception("format module %s failed to import", info.name)
            continue
        specs = getattr(module, "FORMATS", None) or [getattr(module, "FORMAT", None)]
        for spec in specs:
            if isinstance(spec, FormatSpec):
                found[spec.name] = FormatSpec(**{**spec.__dict__, "module": module.__name__})
    _cache = found
    return found


def get_format(name: str) -> FormatSpec:
    all_ = formats()
    key = name.lower().replace("_", "-")
    for spec in all_.values():
        if spec.name.lower().replace("_", "-") == key:
            return spec
    raise UnknownFormat(f"unknown format {name!r}; known: {', '.join(sorted(all_))}")


def resolve_options(opts: tuple[Option, ...], given: dict[str, Any] | None) -> dict[str, Any]:
    given = dict(given or {})
    out: dict[str, Any] = {}
    for o in opts:
        out[o.name] = o.parse(given.pop(o.name)) if o.name in given else o.default
    passthrough = {k: given.pop(k) for k in list(given) if k in ("dry_run",)}
    if given:
        names = ", ".join(sorted(o.name for o in opts))
        raise ValueError(f"unknown option(s) {', '.join(sorted(given))}; this format takes: {names}")
    out.update(passthrough)
    return out


def read(
    fmt: str | FormatSpec,
    src: str | Path,
    options: dict[str, Any] | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> ImportPlan:
    spec = get_format(fmt) if isinstance(fmt, str) else fmt
    if spec.read_fn is None:
        raise ValueError(f"format {spec.name} cannot be read")
    src = Path(src)
    if not src.exists():
        raise FormatError(src, "not found")
    opts = resolve_options(spec.all_import_options(), options)
    plan = spec.read_fn(src, opts, progress, cancel)
    plan.report.source = str(src)
    return plan


def import_into(
    fmt: str | FormatSpec,
    src: str | Path,
    project,
    options: dict[str, Any] | None = None,
    *,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> ImportReport:
    """Import `src` into `project`: all-or-nothing; `dry_run` only reports what would happen."""
    spec = get_format(fmt) if isinstance(fmt, str) else fmt
    if not spec.can_import:
        raise ValueError(f"format {spec.name} cannot be imported")
    opts = resolve_options(spec.all_import_options(), options)
    if spec.read_fn is None:
        assert spec.import_fn is not None
        return spec.import_fn(Path(src), project, {**opts, "dry_run": dry_run}, progress, cancel)
    plan = read(spec, src, opts, progress, cancel)
    return apply_plan(
        project, plan, dry_run=dry_run, mode=opts["mode"], label_set=opts["label_set"],
        require_images=opts["require_images"], progress=progress, cancel=cancel,
    )


def export(
    fmt: str | FormatSpec,
    project,
    dst: str | Path,
    options: dict[str, Any] | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> ExportReport:
    spec = get_format(fmt) if isinstance(fmt, str) else fmt
    if spec.export_fn is None:
        raise ValueError(f"format {spec.name} cannot be exported")
    opts = resolve_options(spec.all_export_options(), options)
    rep = spec.export_fn(project, Path(dst), opts, progress, cancel)
    rep.destination = str(dst)
    return rep


def validate(
    fmt: str | FormatSpec, path: str | Path, options: dict[str, Any] | None = None
) -> ImportReport:
    """Read `path` fully (raising FormatError on the first malformed item) and report on it."""
    from segstudio.io.confine import lenient

    spec = get_format(fmt) if isinstance(fmt, str) else fmt
    with lenient() as outside:  # image paths leaving the dataset: warnings here, errors on import
        if spec.read_fn is None and spec.import_fn is not None:
            rep = _validate_by_dry_run(spec, Path(path), options)
            _warn_outside(rep, outside)
            return rep
        plan = read(spec, path, options)
    rep = plan.report
    _warn_outside(rep, outside)
    rep.validated = True
    rep.images = len(plan.images)
    for im in plan.images:
        if not im.path.exists():
            rep.warn(f"{im.ref or im.path}: image file not found ({im.path})")
        for inst in im.instances:
            rep.count(inst.category)
    if plan.columns is not None:  # instances given as columns (fast paths)
        plan.columns.resolve(rep)
        plan.columns.count([True] * len(plan.images), rep)
    if spec.validate_fn is not None:
        for w in spec.validate_fn(Path(path), resolve_options(spec.all_import_options(), options)):
            rep.warn(w)
    return rep


def _warn_outside(rep: ImportReport, outside: list[str]) -> None:
    if outside:
        rep.warn(f"{len(outside)} image path(s) leave the dataset folder: an import refuses them unless "
                 f"trusted (option trust_paths=true); first: {outside[0]}")


def _validate_by_dry_run(spec: FormatSpec, path: Path, options: dict[str, Any] | None) -> ImportReport:
    """Formats that import straight into a project (video formats): a dry run into a
    throw-away project reads and checks everything and writes nothing."""
    from segstudio.store.project import Project

    if not path.exists():
        raise FormatError(path, "not found")
    opts = resolve_options(spec.all_import_options(), {"require_images": False, **(options or {})})
    with tempfile.TemporaryDirectory(prefix="segstudio-validate-") as tmp:
        project = Project.create(Path(tmp) / "project")
        assert spec.import_fn is not None
        try:
            rep = spec.import_fn(path, project, {**opts, "dry_run": True}, None, None)
        finally:
            project.close()
    rep.validated = True
    rep.source = str(path)
    return rep


def convert(
    fmt_in: str,
    src: str | Path,
    fmt_out: str,
    dst: str | Path,
    in_options: dict[str, Any] | None = None,
    out_options: dict[str, Any] | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> tuple[ImportReport, ExportReport]:
    """Convert without a user project: import into a temporary project, export, discard."""
    from segstudio.store.project import Project

    with tempfile.TemporaryDirectory(prefix="segstudio-convert-") as tmp:
        project = Project.create(Path(tmp) / "project")
        try:
            in_opts = {"require_images": False, **(in_options or {})}
            irep = import_into(fmt_in, src, project, in_opts, progress=progress, cancel=cancel)
            out_opts = dict(out_options or {})
            spec_out = get_format(fmt_out)
            out_names = {o.name for o in spec_out.all_export_options()}
            if (project.root / "imported_images").is_dir() and "copy_images" in out_names:
                # images that existed only inside the source files (LabelMe imageData) live in
                # the throw-away project: the output gets its own copies
                out_opts.setdefault("copy_images", True)
            if "images_root" in out_names:
                # file names relative to where the output lives, not to the throw-away project
                dst_p = Path(dst)
                out_opts.setdefault("images_root", str(dst_p.parent if dst_p.suffix else dst_p))
            erep = export(fmt_out, project, dst, out_opts, progress, cancel)
        finally:
            project.close()
    return irep, erep

"""IPython magics: ``%register_version``, ``%models``, ``%versions``, ``%compare`` (SPEC §3, §9).

``%load_ext jupyter_registry`` registers them. They are thin: arguments are
parsed by IPython's ``magic_arguments``, expressions are evaluated in the
user's namespace, and the work is done by the SDK. A user mistake (an unknown
variable, an unknown model, ``--metrics`` that is not a dict, any
``RegistryError``) is reported as a one-line ``UsageError``, never a traceback.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from .errors import NotFoundError, RegistryError
from .frameworks.code import CodeCaptureWarning
from .schemas import Relation, check_alias, check_entrypoint, check_metadata, check_name
from .sdk import Checkpoint, ModelVersion, Registry, current_checkpoint

FORMAT_BY_SUFFIX = {
    ".pkl": "pickle",
    ".pickle": "pickle",
    ".joblib": "joblib",
    ".skops": "skops",
    ".keras": "keras",
}


def _plain(value: Any) -> Any:
    """numpy / torch scalars and arrays → JSON-friendly Python values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return value.tolist()
    if hasattr(value, "item") and not isinstance(value, (str, bytes, int, float, bool)):
        return value.item()
    return value


def _unquote(text: str | None) -> str | None:
    """``magic_arguments`` keeps the quotes around an argument; drop one matching pair."""
    if text is not None and len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _parse(func: Any, line: str) -> Any:
    """Parsed arguments, or None after printing the help for ``-h``/``--help``."""
    if {"-h", "--help"} & set(line.split()):
        print(func.__doc__)
        return None
    args = parse_argstring(func, line)
    for key, value in vars(args).items():
        if isinstance(value, str):
            setattr(args, key, _unquote(value))
        elif isinstance(value, list):
            setattr(args, key, [_unquote(v) if isinstance(v, str) else v for v in value])
    return args


def summary(mv: ModelVersion) -> str:
    ckpt = mv.checkpoint
    kind = " ".join(x for x in (ckpt.framework, ckpt.format) if x)
    aliases = f", aliases: {', '.join(mv.aliases)}" if mv.aliases else ""
    return (
        f"Registered {mv.model_name} v{mv.version} "
        f"(checkpoint {ckpt.uuid[:8]}, {kind}{aliases}) — "
        f"load with Registry().get_model_version({mv.ref!r}).load()"
    )


@magics_class
class RegistryMagics(Magics):
    """The model registry's magics; they use ``registry`` if set, else ``Registry()``."""

    registry: Registry | None = None

    def _registry(self) -> Registry:
        # Not cached: Registry() is cheap once its engine exists, and it follows the
        # JUPYTER_REGISTRY_* variables the notebook may set after loading the extension.
        return self.registry if self.registry is not None else Registry()

    def _eval(self, expr: str, option: str) -> Any:
        try:
            return eval(expr, self.shell.user_ns)
        except Exception as exc:
            raise UsageError(f"{option} {expr!r}: {type(exc).__name__}: {exc}") from None

    def _eval_dict(self, expr: str | None, option: str) -> dict[str, Any] | None:
        if expr is None:
            return None
        value = self._eval(expr, option)
        if not isinstance(value, dict):
            raise UsageError(
                f"{option} must evaluate to a dict, but {expr!r} is a {type(value).__name__}"
            )
        return _plain(value)

    def _target(self, text: str) -> Any:
        """A variable's value (or expression), else an existing file or folder."""
        namespace = self.shell.user_ns
        if text.isidentifier() and text in namespace:
            return namespace[text]
        path = Path(text).expanduser()
        if path.exists():
            return path
        if text.isidentifier():
            raise UsageError(
                f"{text!r} is neither a variable in this notebook nor a file or folder"
            )
        try:
            return eval(text, namespace)
        except Exception as exc:
            raise UsageError(
                f"{text!r} is neither a file or folder nor an expression that evaluates "
                f"({type(exc).__name__}: {exc})"
            ) from None

    @staticmethod
    def _checkpoint_options(target: Any, args: Any) -> tuple[Any, dict[str, Any]]:
        """What to checkpoint (a path made absolute) and the options to checkpoint it with."""
        options: dict[str, Any] = {"hparams": args.hparams, "metrics": args.metrics}
        options["source"] = {"step": args.step} if args.step is not None else None
        if isinstance(target, (str, os.PathLike)):
            path = Path(target).expanduser()
            if not path.exists():
                raise UsageError(f"no such file or folder: {path}")
            fmt = args.format or (
                FORMAT_BY_SUFFIX.get(path.suffix.lower()) if path.is_file() else None
            )
            return path, {**options, "format": fmt, "entrypoint": args.entrypoint}
        if args.entrypoint or args.format:
            raise UsageError(
                "--entrypoint and --format apply to a file or folder; "
                f"a {type(target).__name__} is saved by its framework adapter"
            )
        return target, options

    def _checkpoint(self, registry: Registry, target: Any, args: Any) -> Checkpoint:
        target, options = self._checkpoint_options(target, args)
        if isinstance(target, Path):
            return registry.create_checkpoint(target, **options)
        return registry.save_checkpoint(target, **options)

    @magic_arguments()
    @argument("model", metavar="MODEL", help="name of the model to add a version to")
    @argument(
        "obj_or_path",
        metavar="OBJ_OR_PATH",
        nargs="?",
        help=(
            "a variable holding the trained model (torch nn.Module, scikit-learn estimator, "
            "Keras model), a Checkpoint or ModelVersion to register again, or a file or folder "
            "to checkpoint first; without it, "
            "the checkpoint most recently created in this kernel is registered"
        ),
    )
    @argument(
        "--metrics",
        metavar="EXPR",
        help="a dict of metrics for the new checkpoint, e.g. metrics or \"{'acc': 0.97}\"",
    )
    @argument(
        "--hparams",
        metavar="EXPR",
        help="a dict of hyperparameters for the new checkpoint (also constructor arguments)",
    )
    @argument(
        "--alias",
        metavar="NAME",
        action="append",
        default=[],
        help="point this alias (production, staging, …) at the new version; repeatable",
    )
    @argument("--comment", metavar="TEXT", help="a comment on the version (quote it)")
    @argument("--name", metavar="TEXT", help="a name for the version")
    @argument("--metadata", metavar="EXPR", help="a dict of metadata for the version")
    @argument(
        "--step",
        metavar="N",
        type=int,
        help="training step or batch number of the new checkpoint (kept in its lineage)",
    )
    @argument(
        "--entrypoint",
        metavar="MODULE:OBJECT",
        help="for a folder: the model class, e.g. nets.zoo:Zoo.MLP (SPEC §6)",
    )
    @argument(
        "--format",
        metavar="FORMAT",
        help=(
            "for a file or folder: safetensors, skops, keras, pickle, joblib or files "
            "(default: from the file's suffix, else files)"
        ),
    )
    @argument(
        "--base",
        metavar="REF",
        action="append",
        default=[],
        help=(
            "the version this one was made from: NAME:3, NAME:alias or NAME (its newest); "
            "repeat it for a merge"
        ),
    )
    @argument(
        "--relation",
        choices=[r.value for r in Relation],
        help="how it was made from --base (default: finetune, or merge for several bases)",
    )
    @argument("--create", action="store_true", help="create MODEL if it does not exist")
    @line_magic
    def register_version(self, line: str) -> ModelVersion | None:
        """Register a checkpoint as a new version of MODEL and return the ModelVersion.

        Examples::

            %register_version mnist_cnn model --metrics metrics --alias staging --create
            %register_version mnist_cnn              # the current checkpoint again
            %register_version mnist_tuned model --base mnist_cnn:production --relation finetune
            mv = %register_version mnist_cnn ./export --comment "retrained on v2 data"

        EXPR options are Python expressions evaluated in the notebook; quote them
        when they contain spaces.
        """
        args = _parse(self.register_version, line)
        if args is None:
            return None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CodeCaptureWarning)
            mv = self._register(args)
        for warning in caught:
            if issubclass(warning.category, CodeCaptureWarning):
                print(f"Warning: {warning.message}", file=sys.stderr)
            else:
                warnings.showwarning(
                    warning.message, warning.category, warning.filename, warning.lineno
                )
        print(summary(mv))
        return mv

    def _check_arguments(self, args: Any) -> None:
        """Evaluate every expression and check every value before anything is stored."""
        args.hparams = self._eval_dict(args.hparams, "--hparams")
        args.metrics = self._eval_dict(args.metrics, "--metrics")
        args.metadata = self._eval_dict(args.metadata, "--metadata")
        try:
            check_name(args.model)
            for alias in args.alias:
                check_alias(alias)
            check_entrypoint(args.entrypoint)
            if args.relation and not args.base:
                raise ValueError("--relation needs --base: the version it relates to")
            for option in ("hparams", "metrics", "metadata"):
                value = getattr(args, option)
                if value is not None:
                    try:
                        check_metadata(value)
                    except ValueError as exc:
                        raise ValueError(f"--{option}: {exc}") from None
        except ValueError as exc:
            raise UsageError(str(exc)) from None

    def _register(self, args: Any) -> ModelVersion:
        self._check_arguments(args)
        try:
            target = self._target(args.obj_or_path) if args.obj_or_path else None
            if isinstance(target, ModelVersion):
                target = target.checkpoint
            existing = current_checkpoint() if target is None else target
            if not isinstance(existing, Checkpoint):
                existing = None
            if target is None and existing is None:
                raise UsageError(
                    "no checkpoint was created in this kernel yet: give OBJ_OR_PATH, "
                    f"e.g. %register_version {args.model} model"
                )
            new_checkpoint_options = (args.metrics, args.hparams, args.entrypoint, args.format)
            if existing is not None and (any(new_checkpoint_options) or args.step is not None):
                raise UsageError(
                    "--metrics/--hparams/--step/--entrypoint/--format describe a new checkpoint; "
                    f"checkpoint {existing.uuid[:8]} already exists (checkpoints are immutable); "
                    "give OBJ_OR_PATH to checkpoint the model again"
                )
            # An existing checkpoint is registered in the registry that holds it.
            registry = existing.registry if existing else self._registry()
            # Bases are looked up before a new checkpoint is stored, so a typo stores nothing.
            bases = [registry.get_model_version(ref) for ref in args.base] or None
            try:
                model = registry.get_model(args.model)
            except NotFoundError:
                if not args.create:
                    raise UsageError(
                        f"model {args.model!r} does not exist; add --create to create it"
                    ) from None
                model = None
            version = {
                "name": args.name,
                "comment": args.comment,
                "metadata": args.metadata,
                "aliases": args.alias,
                "base": bases,
                "relation": args.relation,
            }
            if model is not None and existing is None:
                # Checkpoint and version together: one request to a server when small.
                target, options = self._checkpoint_options(target, args)
                return model.save_version(target, **version, **options)
            checkpoint = existing or self._checkpoint(registry, target, args)
            if model is None:
                model = registry.create_model(args.model)
            mv = model.register_version(checkpoint, **version)
        except RegistryError as exc:
            raise UsageError(str(exc)) from None
        return mv

    @magic_arguments()
    @argument("--name", metavar="TEXT", help="only models whose name contains TEXT")
    @argument("--label", metavar="LABEL", action="append", default=[], help="only with LABEL")
    @argument("--archived", action="store_true", help="show archived models too")
    @line_magic
    def models(self, line: str) -> None:
        """Show the registry's models in the model list widget."""
        args = _parse(self.models, line)
        if args is None:
            return None
        from IPython.display import display

        from .widgets import ModelList

        filters: dict[str, Any] = {}
        if args.name:
            filters["name"] = args.name
        if args.label:
            filters["labels"] = args.label
        if not args.archived:
            filters["archived"] = False
        try:
            display(ModelList(registry=self._registry(), **filters))
        except RegistryError as exc:
            raise UsageError(str(exc)) from None

    @magic_arguments()
    @argument("model", metavar="MODEL", help="name of the model")
    @line_magic
    def versions(self, line: str) -> None:
        """Show the versions of MODEL in the version table widget."""
        args = _parse(self.versions, line)
        if args is None:
            return None
        from IPython.display import display

        from .widgets import VersionTable

        try:
            display(VersionTable(self._registry().get_model(args.model)))
        except RegistryError as exc:
            raise UsageError(str(exc)) from None

    @magic_arguments()
    @argument("model", metavar="MODEL", help="name of the model")
    @argument(
        "versions",
        metavar="V",
        nargs="*",
        help="versions to compare (3, v3, latest or an alias); default: the newest ten",
    )
    @argument("--only-differences", action="store_true", help="show only the rows that differ")
    @argument("--metric", metavar="KEY", help="the row to chart, e.g. metrics.acc")
    @line_magic
    def compare(self, line: str) -> None:
        """Compare versions of MODEL side by side, with a chart of one metric."""
        args = _parse(self.compare, line)
        if args is None:
            return None
        from IPython.display import display

        from .widgets import CompareView

        try:
            view = CompareView(
                args.model,
                args.versions,
                self._registry(),
                only_differences=args.only_differences,
                metric=args.metric,
            )
        except RegistryError as exc:
            raise UsageError(str(exc)) from None
        if view.last_error:
            view.close()
            raise UsageError(view.last_error)
        display(view)


def register_magics(ipython: Any) -> None:
    ipython.register_magics(RegistryMagics)


# -- opt-in automatic loading ---------------------------------------------------------

STARTUP_FILE = "50-jupyter_registry.py"
STARTUP_CODE = """\
# Written by `python -m jupyter_registry.magics enable`: loads the model registry's
# magics (%register_version, %models, %versions) in every IPython kernel of this
# profile. Delete this file, or run `python -m jupyter_registry.magics disable`, to stop.
try:
    get_ipython().extension_manager.load_extension("jupyter_registry")
except Exception as exc:  # never break the start of a kernel
    print(f"jupyter_registry: magics not loaded ({exc})")
"""


def startup_path(profile: str = "default") -> Path:
    """The IPython startup file that loads the extension (honours ``IPYTHONDIR``)."""
    from IPython.paths import get_ipython_dir

    return Path(get_ipython_dir()) / f"profile_{profile}" / "startup" / STARTUP_FILE


def enable_autoload(profile: str = "default") -> Path:
    """Opt in: every kernel of ``profile`` loads the magics at start."""
    path = startup_path(profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(STARTUP_CODE)
    return path


def disable_autoload(profile: str = "default") -> Path:
    path = startup_path(profile)
    path.unlink(missing_ok=True)
    return path


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m jupyter_registry.magics",
        description="Load the registry magics in every IPython kernel (opt-in), or stop.",
    )
    parser.add_argument("action", choices=["enable", "disable"])
    parser.add_argument("--profile", default="default", help="IPython profile (default: default)")
    args = parser.parse_args(argv)
    if args.action == "enable":
        print(f"enabled: {enable_autoload(args.profile)}")
    else:
        print(f"disabled: removed {disable_autoload(args.profile)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""PyTorch ``nn.Module``: weights as safetensors (never pickle), code as an entrypoint.

A checkpoint holds ``weights.safetensors`` (the state dict, shared tensors
stored once), ``module.json`` (constructor arguments, train/eval mode) and,
unless the class comes from an installed package, ``code/`` with the class's
source (see :mod:`.code`). ``load()`` imports the entrypoint in isolation,
rebuilds the module from the recorded constructor arguments (then the
checkpoint's hparams) and loads the weights strictly.

A default ``load()`` (SPEC §7) builds only an ``nn.Module`` subclass, from the
checkpoint's code or from ``torch.nn`` itself; anything else named by the
entrypoint is refused before it is imported or called.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ..errors import ValidationError
from ..schemas import DescribeCheckpoint
from .base import SavedModel, single_file
from .code import build_kwargs, capture_code, constructor_args
from .importer import load_entrypoint, model_class

WEIGHTS = "weights.safetensors"
MANIFEST = "module.json"
#: What a default load() may import from the installed torch: its model classes.
FRAMEWORK_MODULES = ("torch.nn", "torch.ao.nn")


def _manifest(folder: Path) -> dict[str, Any]:
    """``module.json`` as save() writes it; anything else is a clear error, not a crash."""
    file = folder / MANIFEST
    if not file.is_file():
        return {}
    try:
        manifest = json.loads(file.read_text())
    except ValueError as exc:
        raise ValidationError(f"the checkpoint's {MANIFEST} is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("init_args", {}), dict):
        raise ValidationError(
            f"the checkpoint's {MANIFEST} must be an object whose 'init_args' is an object"
        )
    return manifest


def _check_rebuild(cls: type, kwargs: dict[str, Any], state: dict[str, Any]) -> None:
    """Fail at save time, not in the fresh process, when ``cls(**kwargs)`` differs."""
    import torch

    try:
        with torch.device("meta"):
            probe = cls(**kwargs)
        expected = {k: tuple(v.shape) for k, v in probe.state_dict().items()}
    except NameError as exc:
        raise ValidationError(
            f"the code stored for {cls.__qualname__} cannot build it: {exc}; define that name "
            "in a cell as a literal, a function or a class, or import it"
        ) from None
    except Exception:
        return  # a probe that cannot run on the meta device proves nothing
    actual = {k: tuple(v.shape) for k, v in state.items()}
    if expected != actual:
        differing = sorted(set(expected) ^ set(actual)) or sorted(
            k for k in actual if expected.get(k) != actual[k]
        )
        raise ValidationError(
            f"{cls.__qualname__}(**{kwargs}) builds different parameters than this model "
            f"({', '.join(differing[:5])}); keep the constructor arguments as attributes "
            "(self.hidden = hidden) so the model can be rebuilt"
        )


def _skipping_parameter_init() -> Any:
    """A torch function mode under which ``torch.nn.init`` leaves parameters as they are.

    load() overwrites every parameter from the checkpoint (one it does not
    hold is an error), so the random numbers a constructor draws for them are
    thrown away, and drawing them is most of what building a large module
    costs. Only fills of an ``nn.Parameter`` are skipped: a buffer the
    constructor initialises, which the checkpoint does not hold, keeps its
    values. Torch function modes are per thread, so other threads building
    models meanwhile are untouched (unlike patching ``torch.nn.init``).
    """
    import torch
    from torch.overrides import TorchFunctionMode

    fills = {
        value
        for name, value in vars(torch.nn.init).items()
        if name.endswith("_") and not name.startswith("_") and callable(value)
    }

    class SkipParameterInit(TorchFunctionMode):
        def __torch_function__(
            self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None
        ) -> Any:
            kwargs = kwargs or {}
            target = args[0] if args else kwargs.get("tensor")
            if func in fills and isinstance(target, torch.nn.Parameter):
                return target
            return func(*args, **kwargs)

    return SkipParameterInit()


def _assignable(model: Any, state: dict[str, Any]) -> bool:
    """Whether the loaded tensors can become the module's own instead of being copied in.

    Only when nothing in the module is tied (assigning one of two tied
    parameters would untie them) and each loaded tensor has the key, dtype and
    shape the module expects, so the result is what a copy would give.
    """
    current = model.state_dict(keep_vars=True)
    pointers = [t.data_ptr() for t in current.values() if t.numel()]
    if len(pointers) != len(set(pointers)):
        return False
    return all(
        key in current and current[key].dtype == t.dtype and current[key].shape == t.shape
        for key, t in state.items()
    )


class TorchAdapter:
    name = "torch"
    formats = ("safetensors",)

    def detect(self, obj: Any) -> bool:
        nn = sys.modules.get("torch.nn")
        return nn is not None and isinstance(obj, nn.Module)

    def save(self, obj: Any, folder: Path) -> SavedModel:
        import torch
        from safetensors.torch import save_model

        cls = type(obj)
        entrypoint = capture_code(cls, folder / "code")
        try:  # what a fresh process will import, checked now rather than there
            # the user's own class, running in their kernel: any installed module may hold it
            rebuilt = load_entrypoint(folder / "code", entrypoint, environment=None)
        except ValidationError:
            raise
        except Exception as exc:
            raise ValidationError(
                f"the code stored for {cls.__qualname__} does not import: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        init_args, missing = constructor_args(obj)
        if not missing:
            _check_rebuild(rebuilt, init_args, obj.state_dict())
        save_model(obj, str(folder / WEIGHTS))
        manifest = {
            "class": f"{cls.__module__}.{cls.__qualname__}",
            "init_args": init_args,
            "training": bool(obj.training),
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        return SavedModel(
            framework=f"torch-{torch.__version__.split('+')[0]}",
            format="safetensors",
            entrypoint=entrypoint,
        )

    def load(self, folder: Path, checkpoint: DescribeCheckpoint, trusted: bool) -> Any:
        from safetensors.torch import load_file
        from torch import nn

        entrypoint = checkpoint.entrypoint
        if not entrypoint:
            raise ValidationError(
                "this safetensors checkpoint has no entrypoint naming the model class; "
                "load the tensors with safetensors.torch.load_file instead"
            )
        # code/ as this adapter writes it; else the folder itself (a Determined-style model
        # definition folder checkpointed whole, model_def.py next to the weights).
        code = folder / "code" if (folder / "code").is_dir() else folder
        found = load_entrypoint(code, entrypoint, None if trusted else FRAMEWORK_MODULES)
        cls = found if trusted else model_class(found, nn.Module, "torch.nn.Module", entrypoint)
        manifest = _manifest(folder)
        kwargs = build_kwargs(cls, manifest.get("init_args", {}), checkpoint.hparams)
        with _skipping_parameter_init():
            model = cls(**kwargs)
        if not isinstance(model, nn.Module):
            raise ValidationError(
                f"entrypoint {entrypoint!r} built a {type(model).__name__}, not a torch.nn.Module"
            )
        state = load_file(str(single_file(folder, WEIGHTS, "*.safetensors")))
        floating = {t.dtype for t in state.values() if t.is_floating_point()}
        if len(floating) == 1:
            model.to(next(iter(floating)))
        assign = _assignable(model, state)
        missing, unexpected = model.load_state_dict(state, strict=False, assign=assign)
        # Tensors shared inside the model (tied weights) are stored once.
        current = model.state_dict()
        really_missing = [
            k
            for k in missing
            if not any(
                current[k].data_ptr() == current[s].data_ptr() for s in state if s in current
            )
        ]
        if really_missing or unexpected:
            raise ValidationError(
                f"the weights do not fit {cls.__qualname__}(**{kwargs}): "
                f"missing {really_missing[:5]}, unexpected {list(unexpected)[:5]}"
            )
        model.train(bool(manifest.get("training", False)))
        return model

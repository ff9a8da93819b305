"""Copy whole registries between a running MLflow server and this registry (SPEC §8).

Both directions go through public clients only: MLflow's ``MlflowClient`` and
artifact download on one side, the SDK's :class:`~jupyter_registry.sdk.Registry`
on the other, so they work against an embedded registry and a Jupyter server
alike. Each copied version records where it came from under ``mlflow`` in its
checkpoint's lineage (or, in MLflow, a ``jupyter_registry.version`` tag), which
is how a second run recognises what it already copied and skips it.

MLflow is an optional extra (``jupyter_registry[mlflow]``): it is imported only
when a copy starts.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import NotFoundError, RegistryError
from .lineage import MLFLOW_KEY
from .schemas import CreateCheckpoint, parse
from .sdk import Model, Registry

SEARCH_PAGE = 100
#: on a version exported to MLflow: its number here, so a second export skips it
EXPORT_TAG = "jupyter_registry.version"
EXPORT_EXPERIMENT = "jupyter_registry export"


@dataclass
class Copied:
    """What happened to one model: versions copied and skipped, or why it failed."""

    name: str
    copied: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    error: str | None = None


def _mlflow_client(tracking_uri: str) -> Any:
    try:
        from mlflow import MlflowClient
    except ImportError:
        raise RegistryError(
            "MLflow is not installed: pip install 'jupyter_registry[mlflow]'"
        ) from None
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def _pages(search: Any, **kwargs: Any) -> Iterator[Any]:
    """Every result of an MLflow search, following its page tokens."""
    token = None
    while True:
        page = search(page_token=token, **kwargs)
        yield from page
        token = page.token
        if not token:
            return


def _mlflow_versions(client: Any, name: str) -> list[Any]:
    """A model's versions, oldest first."""
    escaped = name.replace("\\", "\\\\").replace("'", "\\'")
    found = _pages(client.search_model_versions, filter_string=f"name = '{escaped}'")
    return sorted(found, key=lambda v: int(v.version))


# --- MLflow → registry -----------------------------------------------------------


def import_mlflow(registry: Registry, tracking_uri: str, names: Iterable[str] = ()) -> list[Copied]:
    """Copy MLflow's registered models into ``registry``; every model is tried."""
    client = _mlflow_client(tracking_uri)
    results: list[Copied] = []
    for source in _listed(client, names, results):
        result = Copied(source.name)
        results.append(result)
        try:
            with contextlib.redirect_stdout(sys.stderr):  # MLflow's own notices
                _import_model(registry, client, tracking_uri, source, result)
        except Exception as exc:  # one model's failure must not stop the others
            result.error = _reason(exc)
    return results


def _listed(client: Any, names: Iterable[str], results: list[Copied]) -> Iterator[Any]:
    """MLflow's models; a named model MLflow cannot give is a failed row, not the end."""
    wanted = list(names)
    if not wanted:
        yield from _pages(client.search_registered_models, max_results=SEARCH_PAGE)
        return
    for name in wanted:
        try:
            yield client.get_registered_model(name)
        except Exception as exc:
            results.append(Copied(name, error=_reason(exc)))


def _import_model(
    registry: Registry, client: Any, tracking_uri: str, source: Any, result: Copied
) -> None:
    try:
        model = registry.get_model(source.name)
        new = False
    except NotFoundError:
        model = registry.create_model(
            source.name, description=source.description or None, metadata=dict(source.tags)
        )
        new = True
    done = _imported_versions(model)
    for version in _mlflow_versions(client, source.name):
        number = int(version.version)
        if number in done:
            result.skipped.append(done[number])
            continue
        if new:
            _skip_to(registry, model, number, max(done.values(), default=0))
        copied = _import_version(registry, client, model, tracking_uri, version)
        done[number] = copied
        result.copied.append(copied)
    for alias, number in dict(source.aliases).items():
        target = done.get(int(number))
        if target is not None and model.reload().info.aliases.get(alias) != target:
            model.set_alias(alias, target)
            result.aliases.append(alias)


def _imported_versions(model: Model) -> dict[int, int]:
    """MLflow version number → our version number, for the versions copied before."""
    done: dict[int, int] = {}
    for version in model.get_versions():
        recorded = version.info.checkpoint.source.get(MLFLOW_KEY)
        if isinstance(recorded, dict) and str(recorded.get("version", "")).isdigit():
            done[int(recorded["version"])] = version.info.version
    return done


def _skip_to(registry: Registry, model: Model, number: int, counter: int) -> None:
    """Keep MLflow's numbers in a new model: versions deleted there are allocated and deleted here.

    The registry never reuses a number, so a placeholder registered and deleted
    moves the model's counter past a gap MLflow left.
    """
    while counter < number - 1:
        placeholder = registry.client.create_checkpoint(
            parse(CreateCheckpoint, {"files": [], "framework": "mlflow"})
        )
        gap = model.register_version(placeholder.uuid, comment="deleted in MLflow")
        gap.delete()
        registry.client.delete_checkpoint(placeholder.uuid)
        counter = gap.info.version


def _import_version(
    registry: Registry, client: Any, model: Model, tracking_uri: str, version: Any
) -> int:
    import mlflow.artifacts

    recorded = {
        "tracking_uri": tracking_uri,
        "model": version.name,
        "version": str(version.version),
        "source": version.source or "",
        "run_id": version.run_id or "",
    }
    with tempfile.TemporaryDirectory(prefix="jr-mlflow-") as folder:
        uri = client.get_model_version_download_uri(version.name, version.version)
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=uri, dst_path=folder, tracking_uri=tracking_uri
        )
        checkpoint = registry.create_checkpoint(
            Path(local), framework="mlflow", source={MLFLOW_KEY: recorded}
        )
    registered = model.register_version(
        checkpoint,
        comment=version.description or None,
        metadata=dict(version.tags),
    )
    return registered.info.version


def _reason(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, RegistryError) else str(exc) or type(exc).__name__
    return " ".join(text.splitlines())[:300]


# --- registry → MLflow -----------------------------------------------------------


def export_mlflow(registry: Registry, tracking_uri: str, names: Iterable[str] = ()) -> list[Copied]:
    """Copy ``registry``'s models to an MLflow server; every model is tried."""
    client = _mlflow_client(tracking_uri)
    results: list[Copied] = []
    for name in list(names) or [m.name for m in registry.get_models()]:
        result = Copied(name)
        results.append(result)
        try:
            with contextlib.redirect_stdout(sys.stderr):  # MLflow's "View run at" notices
                _export_model(client, registry.get_model(name), result)
        except Exception as exc:  # one model's failure must not stop the others
            result.error = _reason(exc)
    return results


def _export_model(client: Any, model: Model, result: Copied) -> None:
    from mlflow.exceptions import MlflowException

    info = model.info
    try:
        client.get_registered_model(model.name)
        new = False
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        tags = {k: v for k, v in info.metadata.items() if isinstance(v, str)}
        client.create_registered_model(model.name, tags=tags, description=info.description)
        new = True
    there = _mlflow_versions(client, model.name)
    done = {
        int(v.tags[EXPORT_TAG]): int(v.version)
        for v in there
        if v.tags.get(EXPORT_TAG, "").isdigit()
    }
    counter = max((int(v.version) for v in there), default=0)
    for version in reversed(model.get_versions()):
        number = version.info.version
        if number in done:
            result.skipped.append(number)
            continue
        source, run_id = _export_files(client, version)
        while new and counter < number - 1:  # MLflow never reuses a deleted version's number
            gap = client.create_model_version(model.name, source, run_id=run_id)
            client.delete_model_version(model.name, gap.version)
            counter = int(gap.version)
        tags = {k: v for k, v in version.info.metadata.items() if isinstance(v, str)}
        tags[EXPORT_TAG] = str(number)
        created = client.create_model_version(
            model.name, source, run_id=run_id, tags=tags, description=version.info.comment
        )
        counter = done[number] = int(created.version)
        result.copied.append(number)
    current = dict(client.get_registered_model(model.name).aliases)
    for alias, number in info.aliases.items():
        target = done.get(number)
        if target is not None and current.get(alias) != str(target):
            client.set_registered_model_alias(model.name, alias, str(target))
            result.aliases.append(alias)


def _export_files(client: Any, version: Any) -> tuple[str, str | None]:
    """The version's files logged to a run of the ``jupyter_registry export`` experiment.

    A reference version (no files, an MLflow ``source`` in its lineage) keeps that source.
    """
    info = version.info
    recorded = info.checkpoint.source.get(MLFLOW_KEY)
    source = recorded.get("source") if isinstance(recorded, dict) else None
    if source and not info.checkpoint.files:
        return str(source), None
    experiment = client.get_experiment_by_name(EXPORT_EXPERIMENT)
    experiment_id = (
        experiment.experiment_id if experiment else client.create_experiment(EXPORT_EXPERIMENT)
    )
    run = client.create_run(experiment_id, run_name=f"{info.model_name}-v{info.version}")
    with tempfile.TemporaryDirectory(prefix="jr-mlflow-") as folder:
        local = version.download(Path(folder) / "files")
        client.log_artifacts(run.info.run_id, str(local), artifact_path="model")
    client.set_terminated(run.info.run_id)
    return f"{run.info.artifact_uri}/model", run.info.run_id

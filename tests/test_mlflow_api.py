"""MLflow's own client against a live ``jupyter server`` (SPEC §8, issue 16).

The real ``mlflow`` client (``MlflowClient``, ``mlflow.artifacts``) talks to the
registry's MLflow-compatible REST API exactly as it would to an MLflow server,
with the Jupyter token as ``MLFLOW_TRACKING_TOKEN``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest
import requests
from jupyter_proc import JupyterServer, start_jupyter
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from jupyter_registry import Registry
from jupyter_registry.server.mlflow_mapping import Clause, MlflowError, parse_filter

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    folder = tmp_path_factory.mktemp("mlflow-api")
    server = start_jupyter(
        {"database": f"sqlite:///{folder / 'registry.db'}", "artifacts": str(folder / "blobs")}
    )
    saved = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_URI")}
    os.environ["MLFLOW_TRACKING_TOKEN"] = server.token
    os.environ["MLFLOW_TRACKING_URI"] = server.url + "registry/mlflow"
    yield server
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    server.stop()


@pytest.fixture
def client(server: JupyterServer) -> MlflowClient:
    uri = server.url + "registry/mlflow"
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def error_code(excinfo: pytest.ExceptionInfo[MlflowException]) -> str:
    return excinfo.value.error_code


def test_registered_models_round_trip(client: MlflowClient) -> None:
    created = client.create_registered_model("churn", tags={"team": "growth"}, description="v0")
    assert (created.name, created.description, created.tags) == ("churn", "v0", {"team": "growth"})

    with pytest.raises(MlflowException) as duplicate:
        client.create_registered_model("churn")
    assert error_code(duplicate) == "RESOURCE_ALREADY_EXISTS"
    with pytest.raises(MlflowException) as unknown:
        client.get_registered_model("no-such-model")
    assert error_code(unknown) == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as bad_name:
        client.create_registered_model("bad name/with slash")
    assert error_code(bad_name) == "INVALID_PARAMETER_VALUE"

    client.update_registered_model("churn", description="predicts churn")
    client.set_registered_model_tag("churn", "owner", "ana")
    client.delete_registered_model_tag("churn", "team")
    fetched = client.get_registered_model("churn")
    assert fetched.description == "predicts churn"
    assert fetched.tags == {"owner": "ana"}
    assert fetched.creation_timestamp <= fetched.last_updated_timestamp

    client.create_registered_model("taken")
    with pytest.raises(MlflowException) as clash:
        client.rename_registered_model("churn", "taken")
    assert error_code(clash) == "RESOURCE_ALREADY_EXISTS"
    client.rename_registered_model("churn", "churn2")
    renamed = client.get_registered_model("churn2")
    assert renamed.description == "predicts churn" and renamed.tags == {"owner": "ana"}
    with pytest.raises(MlflowException) as old_name:
        client.get_registered_model("churn")
    assert error_code(old_name) == "RESOURCE_DOES_NOT_EXIST"

    client.delete_registered_model("churn2")
    with pytest.raises(MlflowException) as gone:
        client.get_registered_model("churn2")
    assert error_code(gone) == "RESOURCE_DOES_NOT_EXIST"


def test_search_registered_models_filters_orders_and_pages(client: MlflowClient) -> None:
    for name, tier in (("srch-alpha", "gold"), ("srch-Beta", "silver"), ("srch-gamma", "gold")):
        client.create_registered_model(name, tags={"tier": tier})
    client.create_registered_model("other-model")

    def names(filter_string: str, **kwargs: object) -> list[str]:
        return [m.name for m in client.search_registered_models(filter_string, **kwargs)]

    assert names("name = 'srch-alpha'") == ["srch-alpha"]
    assert names("name LIKE 'srch-%'") == ["srch-Beta", "srch-alpha", "srch-gamma"]
    assert names("name LIKE 'srch-b%'") == []
    assert names("name ILIKE 'srch-b%'") == ["srch-Beta"]
    assert names("tags.tier = 'gold'") == ["srch-alpha", "srch-gamma"]
    assert names("name LIKE 'srch-%' AND tags.tier = 'gold'") == ["srch-alpha", "srch-gamma"]
    assert names("name LIKE 'srch-%'", order_by=["name DESC"]) == [
        "srch-gamma",
        "srch-alpha",
        "srch-Beta",
    ]
    with pytest.raises(MlflowException) as bad:
        names("description = 'x'")
    assert error_code(bad) == "INVALID_PARAMETER_VALUE"

    first = client.search_registered_models("name LIKE 'srch-%'", max_results=2)
    assert [m.name for m in first] == ["srch-Beta", "srch-alpha"]
    assert first.token
    second = client.search_registered_models(
        "name LIKE 'srch-%'", max_results=2, page_token=first.token
    )
    assert [m.name for m in second] == ["srch-gamma"]
    assert not second.token


# get_latest_versions is deprecated in MLflow with the stages it reads, yet still called
@pytest.mark.filterwarnings("ignore:.*get_latest_versions.*:FutureWarning")
def test_model_versions_tags_aliases_and_search(
    server: JupyterServer, client: MlflowClient
) -> None:
    client.create_registered_model("fraud")
    one = client.create_model_version(
        "fraud", "s3://elsewhere/run-1/model", run_id="run-1", tags={"stage": "dev"}
    )
    two = client.create_model_version("fraud", "s3://elsewhere/run-2/model", run_id="run-2")
    assert (one.version, two.version) == ("1", "2")
    assert (one.source, one.run_id, one.tags) == (
        "s3://elsewhere/run-1/model",
        "run-1",
        {"stage": "dev"},
    )
    assert one.status == "READY"
    # a source the server does not read is a reference: no files, the URI in lineage
    ours = requests.get(server.api("models", "fraud", "versions", "1"), headers=server.headers())
    checkpoint = ours.json()["checkpoint"]
    assert checkpoint["files"] == []
    assert checkpoint["source"]["mlflow"] == {
        "source": "s3://elsewhere/run-1/model",
        "run_id": "run-1",
    }

    client.update_model_version("fraud", "1", description="first try")
    client.set_model_version_tag("fraud", "2", "validated", "yes")
    client.delete_model_version_tag("fraud", "1", "stage")
    fetched = client.get_model_version("fraud", "1")
    assert (fetched.description, fetched.tags) == ("first try", {})

    client.set_registered_model_alias("fraud", "champion", "1")
    assert client.get_model_version_by_alias("fraud", "champion").version == "1"
    client.set_registered_model_alias("fraud", "champion", "2")
    assert client.get_model_version_by_alias("fraud", "champion").version == "2"
    assert client.get_registered_model("fraud").aliases == {"champion": "2"}
    client.delete_registered_model_alias("fraud", "champion")
    with pytest.raises(MlflowException) as no_alias:
        client.get_model_version_by_alias("fraud", "champion")
    assert error_code(no_alias) == "RESOURCE_DOES_NOT_EXIST"

    def versions(filter_string: str) -> list[tuple[str, str]]:
        return [(v.name, v.version) for v in client.search_model_versions(filter_string)]

    assert versions("name = 'fraud'") == [("fraud", "2"), ("fraud", "1")]
    assert versions("run_id = 'run-1'") == [("fraud", "1")]
    assert versions("tags.validated = 'yes'") == [("fraud", "2")]
    assert versions("name = 'fraud' AND run_id = 'nope'") == []
    paged = client.search_model_versions("name = 'fraud'", max_results=1)
    assert [v.version for v in paged] == ["2"] and paged.token
    rest = client.search_model_versions("name = 'fraud'", max_results=1, page_token=paged.token)
    assert [v.version for v in rest] == ["1"]

    assert [v.version for v in client.get_latest_versions("fraud")] == ["2"]
    assert [v.version for v in client.get_latest_versions("fraud", stages=["None"])] == ["2"]
    assert client.get_latest_versions("fraud", stages=["Production"]) == []

    client.delete_model_version("fraud", "2")
    with pytest.raises(MlflowException) as gone:
        client.get_model_version("fraud", "2")
    assert error_code(gone) == "RESOURCE_DOES_NOT_EXIST"


def test_download_artifacts_by_alias_through_the_server(
    server: JupyterServer, client: MlflowClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "weights.bin").write_bytes(os.urandom(3 * 1024 * 1024 + 7))
    (folder / "sub" / "config.json").write_text('{"layers": 3}')
    checkpoint = Registry(server=server.url, token=server.token).create_checkpoint(folder)

    client.create_registered_model("ranker")
    artifacts = server.url + "registry/mlflow/api/2.0/mlflow-artifacts/artifacts"
    own = f"{artifacts}/checkpoints/{checkpoint.uuid}"
    version = client.create_model_version("ranker", own, run_id="r1")
    client.set_registered_model_alias("ranker", "prod", version.version)
    uri = client.get_model_version_download_uri("ranker", version.version)
    assert uri.startswith(artifacts + "/checkpoints/")

    # the environment, not mlflow.set_registry_uri, which leaks into every later subprocess
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", server.url + "registry/mlflow")
    target = str(tmp_path / "dl")
    local = Path(mlflow.artifacts.download_artifacts("models:/ranker@prod", dst_path=target))
    for name in ("weights.bin", "sub/config.json"):
        assert (local / name).read_bytes() == (folder / name).read_bytes()

    # a folder inside this registry's artifacts: a version of just those files, no bytes moved
    part = client.create_model_version("ranker", f"{own}/sub")
    files = requests.get(
        server.api("models", "ranker", "versions", part.version), headers=server.headers()
    ).json()["checkpoint"]["files"]
    assert [f["path"] for f in files] == ["config.json"]


def test_unauthenticated_client_is_refused(
    server: JupyterServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "wrong-token")
    # MLflow keeps one store, credentials included, per registry URI: name the server afresh.
    uri = server.url.replace("127.0.0.1", "localhost") + "registry/mlflow"
    with pytest.raises(MlflowException) as refused:
        MlflowClient(tracking_uri=uri, registry_uri=uri).get_registered_model("anything")
    assert error_code(refused) == "UNAUTHENTICATED"


def test_unknown_endpoints_and_bad_arguments(client: MlflowClient, server: JupyterServer) -> None:
    with pytest.raises(MlflowException) as tracking:
        client.get_run("0123456789abcdef")
    assert tracking.value.get_http_status_code() == 404
    with pytest.raises(MlflowException) as bad_version:
        client.get_model_version("anything", "first")
    assert error_code(bad_version) == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException) as bad_token:
        client.search_registered_models(page_token="not a token")
    assert error_code(bad_token) == "INVALID_PARAMETER_VALUE"
    url = server.url + "registry/mlflow/api/2.0/mlflow/registered-models/create"
    broken = requests.post(url, data=b"{not json", headers=server.headers())
    assert broken.status_code == 400
    assert broken.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_a_user_who_may_only_read_gets_permission_denied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_jupyter(
        {"database": f"sqlite:///{tmp_path / 'ro.db'}", "artifacts": str(tmp_path / "blobs")},
        env={"PYTHONPATH": str(Path(__file__).parent)},
        extra_config={"ServerApp": {"authorizer_class": "readonly_authorizer.ReadOnlyAuthorizer"}},
    )
    try:
        uri = server.url.replace("127.0.0.1", "localhost") + "registry/mlflow"
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", server.token)
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        assert list(client.search_registered_models()) == []
        with pytest.raises(MlflowException) as refused:
            client.create_registered_model("not-allowed")
        assert error_code(refused) == "PERMISSION_DENIED"
        assert refused.value.get_http_status_code() == 403
    finally:
        server.stop()


@pytest.mark.parametrize(
    "text",
    ["name = 'a' AND", "name = 'a' OR name = 'b'", "name = 'a'; DROP TABLE models", "name = a"],
)
def test_filter_strings_beyond_the_grammar_are_refused(text: str) -> None:
    with pytest.raises(MlflowError) as refused:
        parse_filter(text, ["name"])
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"


def test_filter_strings_quote_keys_and_values() -> None:
    clauses = parse_filter("tags.`my key` = 'it\\'s' and name ILIKE 'A%'", ["name"])
    assert clauses == [Clause("tags.my key", "=", "it's"), Clause("name", "ILIKE", "A%")]
    assert clauses[1].matches({"name": "abc"}) and not clauses[1].matches({"name": "bac"})

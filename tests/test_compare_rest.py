"""``GET models/{name}/compare`` on the wire: both query forms, and bad input as JSON 4xx."""

from __future__ import annotations

from pathlib import Path

import requests
import test_server_api as api_tests
from jupyter_proc import ThreadedJupyter

from jupyter_registry import Registry

# The REST tests' fresh-registry server and token session, found by name.
server = api_tests.server
http = api_tests.http


def test_compare_route_reads_both_list_forms_and_refuses_bad_input(
    server: ThreadedJupyter, http: requests.Session, model_folder: Path
) -> None:
    reg = Registry(server=server.url, token=server.token)
    checkpoint = reg.create_checkpoint(model_folder, metrics={"acc": 0.5})
    model = reg.create_model("m")
    for alias in ("a", "b", "c"):
        model.register_version(checkpoint, aliases=[alias])
    url = f"{server.url}registry/api/v1/models/m/compare"

    for query in ("versions=3,1", "versions=3&versions=1", "versions=c,%20a"):
        answer = http.get(f"{url}?{query}")
        assert answer.status_code == 200, answer.text
        assert answer.json()["versions"] == [3, 1], query
    only = http.get(f"{url}?versions=1,2&only_differences=true").json()
    assert {row["key"] for row in only["rows"]} == {"aliases", "created"}
    assert http.get(url).json()["versions"] == [1, 2, 3]

    for query, status in [
        ("versions=0", 400),
        ("versions=bad%20name", 400),
        ("versions=" + ",".join(str(n) for n in range(1, 60)), 400),
        ("only_differences=maybe", 400),
        ("versions=9", 404),
        ("versions=nope", 404),
    ]:
        answer = http.get(f"{url}?{query}")
        assert answer.status_code == status, (query, answer.text)
        assert set(answer.json()["error"]) == {"type", "message"}
    missing = http.get(f"{server.url}registry/api/v1/models/nope/compare")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "NotFoundError"

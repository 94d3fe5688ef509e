"""Round-trip YAML: references found and replaced, everything else printed as written (no network)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from builder.errors import UsageError
from builder.resolve import SourceRef, load_documents, resolve_documents

SERVICE = """\
# the hello service, pinned by digest after resolve
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: hello
  labels: {app: hello}   # flow style kept
spec:
  template:
    metadata:
      name: hello-v2
    spec:
      containers:
        - image: "dockless://git://127.0.0.1/hello.git#v2"
          env:
            - {name: TARGET, value: dockless://not-an-image-but-resolved-too}
  traffic:
    - revisionName: hello-v1   # blue
      percent: 50
    - revisionName: hello-v2
      percent: 50
      tag: green
---
apiVersion: sources.knative.dev/v1
kind: ContainerSource
metadata:
  name: time
spec:
  template:
    spec:
      containers:
        - image: dockless://git://127.0.0.1/hello.git#v2
"""


def test_references_are_built_once_and_replaced_keeping_comments_order_and_quotes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # directory references are relative to the current directory
    (tmp_path / "not-an-image-but-resolved-too").mkdir()
    (tmp_path / "svc.yaml").write_text(SERVICE)
    files = load_documents(tmp_path)
    built: list[tuple[SourceRef, str]] = []

    def build(ref: SourceRef, image: str) -> str:
        built.append((ref, image))
        return f"{image.rsplit(':', 1)[0]}@sha256:{'ab' * 32}"

    images = resolve_documents(files, "reg.example/team", build)
    assert [image for _, image in built] == ["reg.example/team/hello:v2", "reg.example/team/not-an-image-but-resolved-too:latest"]
    out = files[0].dump()
    pinned = f"reg.example/team/hello@sha256:{'ab' * 32}"
    assert images["dockless://git://127.0.0.1/hello.git#v2"] == pinned
    assert f'- image: "{pinned}"' in out  # the quotes as written
    assert f"- image: {pinned}" in out
    for kept in ("# the hello service, pinned by digest after resolve", "labels: {app: hello}   # flow style kept",
                 "- revisionName: hello-v1   # blue", "tag: green", "\n---\n"):
        assert kept in out
    docs = list(YAML(typ="safe").load_all(out))
    assert [d["kind"] for d in docs] == ["Service", "ContainerSource"]
    assert docs[0]["spec"]["traffic"] == [{"revisionName": "hello-v1", "percent": 50},
                                          {"revisionName": "hello-v2", "percent": 50, "tag": "green"}]
    assert "dockless://" not in out


def test_a_bad_reference_fails_before_anything_is_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app").mkdir()
    (tmp_path / "a.yaml").write_text("image: dockless://./app\n---\nimage: 'dockless://'\n")
    calls: list[str] = []
    with pytest.raises(UsageError, match="names no source"):
        resolve_documents(load_documents(tmp_path / "a.yaml"), "r", lambda ref, image: calls.append(image) or image)
    assert calls == []


def test_a_missing_directory_fails_before_anything_is_built_naming_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app").mkdir()
    (tmp_path / "k.yaml").write_text("image: dockless://./app\n---\nimage: dockless://./nothere\n")
    calls: list[str] = []
    with pytest.raises(UsageError, match=r"k\.yaml: dockless://\./nothere names no directory"):
        resolve_documents(load_documents(tmp_path / "k.yaml"), "r", lambda ref, image: calls.append(image) or image)
    assert calls == []


def test_invalid_yaml_names_the_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("kind: Service\nspec:\n  template: [unclosed\n")
    with pytest.raises(UsageError, match=r"bad\.yml line \d+ column \d+ is not valid YAML"):
        load_documents(tmp_path)


def test_missing_path_and_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        load_documents(tmp_path / "nope.yaml")
    with pytest.raises(UsageError, match="holds no .yaml"):
        load_documents(tmp_path)


def test_level_sequences_stay_level(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    text = "spec:\n  containers:\n  - image: dockless://./a\n    args:\n    - --x\n"
    (tmp_path / "k.yaml").write_text(text)
    files = load_documents(tmp_path / "k.yaml")
    resolve_documents(files, "r", lambda ref, image: "r/a@sha256:" + "0" * 64)
    assert files[0].dump() == text.replace("dockless://./a", "r/a@sha256:" + "0" * 64)

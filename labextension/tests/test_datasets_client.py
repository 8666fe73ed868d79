"""The notebook API (kamld.create/upload/snapshot/diff/log/restore/tag/open/load/datasets) on the sidecar.

Every test that talks to kamld starts its own `kamld serve` (conftest's external_sidecar) and reaches it the
way a kernel does, through KAMLD_URL/KAMLD_TOKEN and the default client.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import kamld
from kamld.errors import KamldError
from kamld.refs import ShortRef, parse_short_ref, validate_path, validate_ref, validate_tag_id

from .conftest import REPO_ROOT, ExternalSidecar

IRIS_CSV = "sepal_length,sepal_width,species\n5.1,3.5,setosa\n4.9,3.0,setosa\n6.3,3.3,virginica\n"
IRIS_CSV_V2 = IRIS_CSV + "5.8,2.7,virginica\n"


@pytest.fixture
def sidecar(
    jp_environ: None, tmp_path: Path, external_sidecar: ExternalSidecar, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ExternalSidecar]:
    """A kernel's view of a fresh sidecar: env KAMLD_URL/KAMLD_TOKEN and a new default client."""
    runtime = tmp_path / "kernel-runtime"
    runtime.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("KAMLD_URL", external_sidecar.url)
    monkeypatch.setenv("KAMLD_TOKEN", external_sidecar.token)
    kamld.set_client(None)
    yield external_sidecar
    kamld.set_client(None)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- the whole workflow ---------------------------------------------------------------------------------


def test_create_upload_snapshot_change_diff_log_restore_download(
    sidecar: ExternalSidecar, tmp_path: Path
) -> None:
    created = kamld.create("flowers", description="a few irises", tags=["tabular", "csv"])
    assert created["name"] == "datasets/flowers"
    assert created["snapshotCount"] == "0"

    # A single file into the dataset root, then a folder (in parallel, with progress).
    iris = write(tmp_path / "local" / "iris.csv", IRIS_CSV)
    [info] = kamld.upload(iris, "flowers/")
    assert info["path"] == "iris.csv"
    assert info["size"] == str(len(IRIS_CSV))
    assert info["mediaType"] == "text/csv"
    folder = tmp_path / "local" / "extra"
    write(folder / "notes.txt", "hello\n")
    write(folder / "deep" / "more.txt", "more\n")
    write(folder / "deep" / "été.txt", "accents\n")
    seen: list[tuple[str, int, int, int]] = []
    infos = kamld.upload(folder, "flowers/extra/", progress=lambda *a: seen.append(a))
    expected = ["extra/deep/more.txt", "extra/deep/été.txt", "extra/notes.txt"]
    assert [i["path"] for i in infos] == expected
    assert sorted(s[0] for s in seen) == sorted(expected)
    assert sorted(s[2] for s in seen) == [1, 2, 3]
    assert {s[3] for s in seen} == {3}

    v1 = kamld.snapshot("flowers", "first cut")
    assert v1["version"] == "v1"
    assert v1["stats"]["fileCount"] == "4"

    # Change a file, add one, snapshot again.
    write(iris, IRIS_CSV_V2)
    kamld.upload(iris, "flowers/iris.csv")
    kamld.upload(write(tmp_path / "local" / "labels.csv", "id,label\n1,a\n"), "flowers")
    v2 = kamld.snapshot("flowers", "one more flower")
    assert v2["version"] == "v2"
    assert v2["parent"] == v1["name"]

    changes = kamld.diff("flowers@v1", "flowers@v2")
    assert list(changes.columns) == [
        "path",
        "change",
        "size_before",
        "size_after",
        "digest_before",
        "digest_after",
    ]
    assert changes[["path", "change"]].values.tolist() == [["iris.csv", "modified"], ["labels.csv", "added"]]
    modified = changes.set_index("path").loc["iris.csv"]
    assert (modified.size_before, modified.size_after) == (len(IRIS_CSV), len(IRIS_CSV_V2))
    added = changes.set_index("path").loc["labels.csv"]
    assert pd.isna(added.size_before)
    assert pd.isna(added.digest_before)
    # "flowers" alone is the latest snapshot (v2), the same diff; a path limits it.
    assert kamld.diff("flowers@v1", "flowers").path.tolist() == ["iris.csv", "labels.csv"]
    assert kamld.diff("flowers@v1/iris.csv", "flowers@v2").path.tolist() == ["iris.csv"]
    assert kamld.diff("flowers@v2").empty  # nothing in the draft yet

    history = kamld.log("flowers")
    assert history.version.tolist() == ["v2", "v1"]
    assert history.message.tolist() == ["one more flower", "first cut"]
    assert history.files.tolist() == [5, 4]
    assert str(history.created.dtype).startswith("datetime64")
    assert history.id.iloc[1] == v1["id"]

    # Tags name snapshots; then "flowers@<tag>" reads them.
    tag = kamld.tag("flowers@v1", "golden")
    assert tag["snapshot"] == v1["name"]
    kamld.tag("flowers", "latest")  # no ref: the head
    assert kamld.log("flowers").tags.tolist() == [["latest"], ["golden"]]
    with pytest.raises(kamld.KamldError) as exc:
        kamld.tag("flowers@v2", "golden")
    assert exc.value.code == 6  # ALREADY_EXISTS without overwrite
    assert kamld.tag("flowers@v2", "golden", overwrite=True)["snapshot"] == v2["name"]
    kamld.tag("flowers@v1", "golden", overwrite=True)

    # Read any version: binary, text, line iteration, a ref by id prefix.
    with kamld.open("flowers@v1/iris.csv") as f:
        assert f.read() == IRIS_CSV.encode()
    with kamld.open("flowers@v2/iris.csv", "r") as f:
        assert list(f) == IRIS_CSV_V2.splitlines(keepends=True)
    with kamld.open(f"flowers@{v1['id'][:8]}/extra/deep/été.txt", "r") as f:
        assert f.read() == "accents\n"
    with kamld.open("flowers@golden/iris.csv", "rb") as f:
        assert f.read(5) == b"sepal"  # a partial read, then close: the connection is released
    assert f.closed

    # Restore v1 into the draft: the draft diff shows it, the next snapshot records it.
    stats = kamld.restore("flowers@golden")
    assert stats == {
        "added": 0,
        "removed": 1,
        "modified": 1,
        "bytesDelta": -(len(IRIS_CSV_V2) - len(IRIS_CSV)) - 13,
    }
    draft = kamld.diff("flowers@v2")
    assert draft[["path", "change"]].values.tolist() == [["iris.csv", "modified"], ["labels.csv", "removed"]]
    with kamld.open("flowers@draft/iris.csv", "r") as f:
        assert f.read() == IRIS_CSV
    v3 = kamld.snapshot("flowers", "back to v1")
    assert v3["version"] == "v3"
    assert v3["manifestRoot"] == v1["manifestRoot"]
    assert kamld.diff("flowers@v1", "flowers@v3").empty

    # The dataset list.
    listing = kamld.datasets()
    assert list(listing.columns) == [
        "name",
        "description",
        "tags",
        "owner",
        "files",
        "bytes",
        "snapshots",
        "updated",
    ]
    row = listing.set_index("name").loc["flowers"]
    assert row.description == "a few irises"
    assert row.tags == ["tabular", "csv"]
    assert (row.files, row.snapshots) == (4, 3)
    assert row.bytes == len(IRIS_CSV) + len("hello\nmore\naccents\n")
    assert str(listing.updated.dtype).startswith("datetime64")
    files = kamld.ls("flowers@v2/extra/")
    assert files.path.tolist() == expected


# -- load -----------------------------------------------------------------------------------------------


def test_load_reads_every_tabular_format_with_the_right_dtypes(
    sidecar: ExternalSidecar, tmp_path: Path
) -> None:
    kamld.create("tables")
    frame = pd.DataFrame({"id": [1, 2, 3], "score": [0.5, 1.5, 2.5], "name": ["a", "b", "c"]})
    local = tmp_path / "tables"
    local.mkdir()
    frame.to_csv(local / "t.csv", index=False)
    frame.to_csv(local / "t.tsv", index=False, sep="\t")
    frame.to_parquet(local / "t.parquet", index=False)
    frame.to_json(local / "t.json", orient="records")
    frame.to_json(local / "t.jsonl", orient="records", lines=True)
    write(local / "README.md", "not a table\n")
    kamld.upload(local, "tables/")
    kamld.snapshot("tables", "all formats")

    for name in ("t.csv", "t.tsv", "t.parquet", "t.json", "t.jsonl"):
        df = kamld.load(f"tables@v1/{name}")
        assert df.columns.tolist() == ["id", "score", "name"], name
        assert pd.api.types.is_integer_dtype(df["id"]), (name, df.dtypes)
        assert pd.api.types.is_float_dtype(df["score"]), (name, df.dtypes)
        assert pd.api.types.is_string_dtype(df["name"]) or df["name"].dtype == object, (name, df.dtypes)
        assert df["id"].tolist() == [1, 2, 3]
        assert df["score"].sum() == pytest.approx(4.5)
    # Reader options pass through.
    assert kamld.load("tables@v1/t.csv", usecols=["name"]).columns.tolist() == ["name"]

    # Several tables: the error lists them so that the user can pick one.
    with pytest.raises(ValueError, match="holds 5 tabular files") as exc:
        kamld.load("tables@v1")
    assert "kamld.load('tables@v1/t.parquet')" in str(exc.value)
    with pytest.raises(ValueError, match="not a tabular file"):
        kamld.load("tables@v1/README.md")

    # One table in a dataset (or folder) is loaded without naming it.
    kamld.create("single")
    kamld.upload(local / "t.parquet", "single/data/part.parquet")
    kamld.upload(local / "README.md", "single/")
    kamld.snapshot("single")
    assert kamld.load("single").equals(kamld.load("single@v1/data/part.parquet"))
    assert kamld.load("single@v1/data/")["id"].tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match="no tabular file"):
        kamld.load("tables@draft/nothing-here/")


def test_load_the_sample_datasets(sidecar: ExternalSidecar) -> None:
    iris = kamld.load("iris")
    assert len(iris) == 150
    numeric = [c for c in iris.columns if c != "species"]
    assert numeric
    assert all(pd.api.types.is_float_dtype(iris[c]) for c in numeric)
    penguins = kamld.load("penguins@v1")
    assert len(penguins) == 344
    assert pd.api.types.is_integer_dtype(penguins["year"])


# -- open -----------------------------------------------------------------------------------------------


def test_open_streams_a_large_file(sidecar: ExternalSidecar, tmp_path: Path) -> None:
    kamld.create("big")
    blob = os.urandom(3 << 20)
    big = tmp_path / "big.bin"
    big.write_bytes(blob)
    kamld.upload(big, "big/blobs/big.bin")
    digest = hashlib.sha256()
    with kamld.open("big@draft/blobs/big.bin") as f:
        assert f.raw.size == len(blob)
        assert f.raw.etag == f'"sha256:{hashlib.sha256(blob).hexdigest()}"'
        while chunk := f.read(1 << 18):
            digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(blob).hexdigest()
    # Ranged reads through the client.
    resp = kamld.get_client().download("big", "blobs/big.bin", ref="draft", offset=10, length=20)
    assert resp.status_code == 206
    assert resp.content == blob[10:30]


def test_open_rejects_folders_and_write_modes(sidecar: ExternalSidecar) -> None:
    with pytest.raises(ValueError, match="names a whole dataset"):
        kamld.open("iris@v1")
    with pytest.raises(ValueError, match="names a folder"):
        kamld.open("iris@v1/data/")
    with pytest.raises(ValueError, match="reads only"):
        kamld.open("iris@v1/iris.csv", "wb")


# -- errors ---------------------------------------------------------------------------------------------


def test_unknown_dataset_is_not_found(sidecar: ExternalSidecar, tmp_path: Path) -> None:
    for call in (
        lambda: kamld.log("no-such-set"),
        lambda: kamld.load("no-such-set@v1/a.csv"),
        lambda: kamld.open("no-such-set/a.csv").read(),
        lambda: kamld.snapshot("no-such-set", "x"),
        lambda: kamld.diff("no-such-set@v1", "no-such-set@v2"),
        lambda: kamld.restore("no-such-set@v1"),
    ):
        with pytest.raises(kamld.KamldError) as exc:
            call()
        assert exc.value.code == 5, exc.value
        assert exc.value.code_name == "NOT_FOUND"
        assert "no-such-set" in exc.value.message
    with pytest.raises(kamld.KamldError) as exc:
        kamld.open("iris@v9/iris.csv")
    assert exc.value.code == 5
    assert "v9" in str(exc.value)
    # A failed upload names the file (a folder upload fails on one of many).
    with pytest.raises(kamld.KamldError) as exc:
        kamld.upload(write(tmp_path / "up" / "a.csv", "a\n1\n"), "no-such-set/in/")
    assert exc.value.code == 5
    assert "a.csv' to no-such-set/in/a.csv" in exc.value.message


def test_sidecar_errors_carry_code_and_field(sidecar: ExternalSidecar, tmp_path: Path) -> None:
    with pytest.raises(kamld.KamldError) as exc:
        kamld.create("iris")
    assert exc.value.code == 6  # ALREADY_EXISTS
    with pytest.raises(kamld.KamldError) as exc:
        kamld.create("shouty", tags=["NOT LOWER"])
    assert exc.value.code == 3
    assert [f for f, _ in exc.value.field_violations] == ["dataset.tags"]
    assert "NOT LOWER" in str(exc.value)
    kamld.create("unchanged")
    with pytest.raises(kamld.KamldError) as exc:
        kamld.snapshot("unchanged", "nothing to commit")
    assert exc.value.code == 9  # FAILED_PRECONDITION: an empty draft
    assert kamld.snapshot("unchanged", "empty on purpose", allow_empty=True)["version"] == "v1"


def test_bad_arguments_fail_before_any_request(sidecar: ExternalSidecar, tmp_path: Path) -> None:
    for bad in ("Iris", "iris@", "iris@v0", "iris@v3/../x", "iris@@v3", "/iris", "iris@Prod"):
        with pytest.raises(ValueError, match="bad dataset reference"):
            kamld.load(bad)
    with pytest.raises(ValueError, match="must start with a lowercase letter"):
        kamld.create("9lives")
    with pytest.raises(ValueError, match="bare dataset name"):
        kamld.create("iris@v1")
    with pytest.raises(ValueError, match="uploads go to the draft"):
        kamld.upload(write(tmp_path / "a.csv", "a\n1\n"), "iris@v1/a.csv")
    with pytest.raises(FileNotFoundError, match="nothing to upload"):
        kamld.upload(tmp_path / "missing", "iris/")
    with pytest.raises(ValueError, match=r"has a '\.\.' segment"):
        kamld.upload(tmp_path / "a.csv", "iris/x/../a.csv")
    with pytest.raises(ValueError, match="restore needs a snapshot"):
        kamld.restore("iris")
    with pytest.raises(ValueError, match="reads as a snapshot sequence number"):
        kamld.tag("iris@v1", "v2")
    with pytest.raises(ValueError, match="one dataset"):
        kamld.diff("iris@v1", "penguins@v1")
    with pytest.raises(ValueError, match="not a file path"):
        kamld.snapshot("iris/iris.csv")


# -- the short-ref parser (shortref.go's cases) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("iris", ShortRef("iris")),
        ("iris@v3", ShortRef("iris", "v3")),
        ("iris@v3/train.csv", ShortRef("iris", "v3", "train.csv")),
        ("iris@draft/a/b.json", ShortRef("iris", "draft", "a/b.json")),
        ("iris/images/", ShortRef("iris", "", "images/")),
        ("iris@prod", ShortRef("iris", "prod")),
        ("iris@4f2a9c/données/été.csv", ShortRef("iris", "4f2a9c", "données/été.csv")),
        ("a" * 63, ShortRef("a" * 63)),
    ],
)
def test_parse_short_ref(text: str, want: ShortRef) -> None:
    got = parse_short_ref(text)
    assert got == want
    assert str(got) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "@v3",
        "iris@",
        "iris/",
        "iris@v3/../x",
        "Iris@v3",
        "iris@v3//x",
        "iris@@v3",
        "/iris",
        "a" * 64,
        "iris-",
    ],
)
def test_parse_short_ref_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"bad dataset reference .*; write \"dataset\""):
        parse_short_ref(text)


def test_ref_tag_and_path_rules_match_the_sidecar() -> None:
    for ok in ("", "draft", "v1", "v3", "4f2a9c", "a" * 64, "prod", "2024.q1", "best-model"):
        assert validate_ref(ok) == ok
    for bad in ("v0", "v007", "v99999999999999999999", "4F2A9C", "a" * 65, "a b", "../x", "Prod", "tag\x00"):
        with pytest.raises(ValueError, match=r"sequence numbers|hex digits|is not a ref"):
            validate_ref(bad)
    for ok in ("prod", "2024.q1", "release_1", "best-model", "v3a", "abcde", "fedcbx"):
        assert validate_tag_id(ok) == ok
    for bad in ("", "draft", "v3", "v0", "abcdef", "0123456789", "Prod", ".hidden", "a/b", "a b"):
        with pytest.raises(ValueError, match=r"^tag "):
            validate_tag_id(bad)
    for ok in (
        "train.csv",
        "a/b/c.parquet",
        "images/cat 01.png",
        "données/été.csv",
        "日本/データ.json",
        "..hidden",
    ):
        assert validate_path(ok) == ok
    for bad in (
        "",
        "/etc/passwd",
        "../secret",
        "a/./b",
        "a//b",
        "a/",
        "a\x00b",
        "a\nb",
        "a\\b",
        "a\u202eb",
        "a\u200bb",
        "a\ufeffb",
        "e\u0301te.csv",
        "a\u2028b",
        "a" * 256,
        "a/" * 600 + "a",
    ):
        with pytest.raises(ValueError, match=r"^path "):
            validate_path(bad)


def test_importing_kamld_imports_no_dataframe_library() -> None:
    code = (
        "import sys, kamld, kamld.api, kamld.refs, kamld.magics;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'pyarrow'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "labextension")}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- folder uploads in batches ----------------------------------------------------------------------------


def test_upload_folder_in_batches(
    sidecar: ExternalSidecar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder's small files go in batches (here of 7, to have several), a large one streamed beside them;
    the answer lists every file in the folder's order, and the draft holds exactly those bytes."""
    import kamld.api

    monkeypatch.setattr(kamld.api, "BATCH_FILES", 7)
    local = tmp_path / "tree"
    small = {f"d{i % 3}/f{i:02d}.txt": f"file {i}\n" for i in range(20)}
    for rel, text in small.items():
        write(local / rel, text)
    big = os.urandom((1 << 20) + 5)
    (local / "big.bin").write_bytes(big)
    kamld.create("batched")
    seen: list[tuple[str, int, int, int]] = []
    infos = kamld.upload(local, "batched/in/", progress=lambda *a: seen.append(a))
    want = sorted(["in/big.bin", *(f"in/{rel}" for rel in small)])
    assert [i["path"] for i in infos] == want
    assert len(seen) == len(want)
    assert seen[-1][2:] == (len(want), len(want))
    by_path = {i["path"]: i for i in infos}
    assert by_path["in/big.bin"]["digest"] == "sha256:" + hashlib.sha256(big).hexdigest()
    for rel, text in small.items():
        assert by_path[f"in/{rel}"]["digest"] == "sha256:" + hashlib.sha256(text.encode()).hexdigest()
        with kamld.open(f"batched@draft/in/{rel}") as f:
            assert f.read() == text.encode()
    assert (
        sorted(f["path"] for f in kamld.get_client().list_files("batched", ref="draft", recursive=True))
        == want
    )


def test_large_upload_sends_its_digest_first(
    sidecar: ExternalSidecar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the store cannot rename (S3; forced here), a large file's digest is computed locally and sent
    with it, so the sidecar writes it once; the sidecar checks the bytes against it."""
    import kamld.api

    assert kamld.api._hash_first(kamld.get_client()) is False  # the test sidecar's store is the local one
    monkeypatch.setattr(kamld.api, "_hash_first", lambda c: True)
    sent: list[str | None] = []
    upload = kamld.get_client().upload

    def spy(*args: Any, expected_digest: str | None = None, **kw: Any) -> Any:
        sent.append(expected_digest)
        return upload(*args, expected_digest=expected_digest, **kw)

    monkeypatch.setattr(kamld.get_client(), "upload", spy)
    big = os.urandom((1 << 20) + 5)
    (tmp_path / "big.bin").write_bytes(big)
    kamld.create("prehashed")
    [info] = kamld.upload(tmp_path / "big.bin", "prehashed/big.bin")
    want = "sha256:" + hashlib.sha256(big).hexdigest()
    assert sent == [want]
    assert info["digest"] == want
    assert info["size"] == str(len(big))
    with pytest.raises(KamldError) as exc:
        upload("prehashed", "other.bin", big, expected_digest="sha256:" + "0" * 64)
    assert exc.value.code == 15, exc.value  # DATA_LOSS: the bytes are not what the digest says


def test_upload_batch_is_all_or_nothing(sidecar: ExternalSidecar, tmp_path: Path) -> None:
    """A batch with one bad file writes none of its files, and the error names the bad one."""
    a, b = write(tmp_path / "a.txt", "a\n"), write(tmp_path / "b.txt", "b\n")
    kamld.create("atomic")
    c = kamld.get_client()
    with pytest.raises(kamld.KamldError) as exc:
        c.upload_batch("atomic", [("x/a.txt", a), ("x/b.txt", b), ("x/a.txt", b)])
    assert exc.value.code == 3  # INVALID_ARGUMENT
    assert "files[2].path" in exc.value.message
    assert c.list_files("atomic", ref="draft", recursive=True) == []
    infos = c.upload_batch("atomic", [("x/a.txt", a), ("x/b.txt", b)])
    assert [i["path"] for i in infos] == ["x/a.txt", "x/b.txt"]

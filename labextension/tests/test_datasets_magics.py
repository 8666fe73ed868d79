"""`%kamld ls|snapshot|diff|log|help` through IPython, on the real sidecar: text out, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

import kamld
from kamld.magics import format_table, human_bytes

from .conftest import ExternalSidecar


@pytest.fixture
def shell(jp_environ: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    """IPython with `%load_ext kamld`, in a kernel-like env without KAMLD_* (conftest clears those)."""
    runtime = tmp_path / "kernel-runtime"
    runtime.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    kamld.set_client(None)
    ipython = InteractiveShell.instance()
    ipython.run_line_magic("load_ext", "kamld")
    yield ipython
    InteractiveShell.clear_instance()
    kamld.set_client(None)


@pytest.fixture
def sidecar(
    shell: InteractiveShell, external_sidecar: ExternalSidecar, monkeypatch: pytest.MonkeyPatch
) -> ExternalSidecar:
    monkeypatch.setenv("KAMLD_URL", external_sidecar.url)
    monkeypatch.setenv("KAMLD_TOKEN", external_sidecar.token)
    return external_sidecar


def magic(shell: InteractiveShell, capsys: pytest.CaptureFixture[str], line: str) -> str:
    shell.run_line_magic("kamld", line)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err, captured
    return captured.out


def test_magics_walk_through_a_dataset(
    shell: InteractiveShell, sidecar: ExternalSidecar, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The samples a new install imports, in the dataset list.
    out = magic(shell, capsys, "ls")
    header, *rows = out.splitlines()
    assert header.split()[:5] == ["name", "snapshots", "files", "bytes", "updated"]
    assert any(r.split()[:2] == ["iris", "1"] for r in rows), out

    kamld.create("notes", description="meeting notes")
    (tmp_path / "a.txt").write_text("first\n")
    kamld.upload(tmp_path / "a.txt", "notes/2024/a.txt")
    out = magic(shell, capsys, 'snapshot notes -m "the first notes"')
    assert out.startswith("notes@v1 (")
    assert out.rstrip().endswith("1 files, 6 B - the first notes")

    (tmp_path / "a.txt").write_text("first, edited\n")
    kamld.upload(tmp_path / "a.txt", "notes/2024/a.txt")
    (tmp_path / "b.txt").write_text("second\n")
    kamld.upload(tmp_path / "b.txt", "notes/2024/b.txt")
    assert magic(shell, capsys, "snapshot notes --message 'edit and add'").startswith("notes@v2 (")

    out = magic(shell, capsys, "diff notes@v1 notes@v2")
    lines = out.splitlines()
    assert lines[0].split() == ["change", "path", "before", "after"]
    assert lines[1].split() == ["modified", "2024/a.txt", "6", "B", "14", "B"]
    assert lines[2].split() == ["added", "2024/b.txt", "-", "7", "B"]
    assert lines[-1] == "1 added, 0 removed, 1 modified"
    assert magic(shell, capsys, "diff notes@v2").strip() == "no changes"

    out = magic(shell, capsys, "log notes")
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["version", "id"]
    assert [line.split()[0] for line in lines[1:]] == ["v2", "v1"]
    assert lines[1].endswith("edit and add")
    assert lines[2].endswith("the first notes")

    out = magic(shell, capsys, "ls notes@v1")
    assert [line.split()[0] for line in out.splitlines()] == ["path", "2024/a.txt"]
    out = magic(shell, capsys, "ls notes/2024/")
    assert [line.split()[0] for line in out.splitlines()] == ["path", "2024/a.txt", "2024/b.txt"]

    # Errors from the sidecar: one line with the gRPC code.
    assert magic(shell, capsys, "log ghost").startswith("kamld: NOT_FOUND (5): ")
    assert magic(shell, capsys, "snapshot notes -m again").startswith("kamld: FAILED_PRECONDITION (9): ")
    assert magic(shell, capsys, "diff notes@v1 notes@v7").startswith("kamld: NOT_FOUND (5): ")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("snapshot", "%kamld snapshot: the following arguments are required: dataset"),
        ("snapshot notes -m", "%kamld snapshot: argument -m/--message: expected one argument"),
        ("snapshot notes --bogus", "%kamld snapshot: unrecognized arguments: --bogus"),
        ("diff", "%kamld diff: the following arguments are required: FROM"),
        ("diff a@v1 a@v2 a@v3", "%kamld diff: unrecognized arguments: a@v3"),
        ("log", "%kamld log: the following arguments are required: dataset"),
        ("log Bad!", "%kamld log: bad dataset reference 'Bad!'"),
        ("diff iris@v1 wine@v1", "%kamld diff: diff compares two refs of one dataset"),
        ("ls iris@", "%kamld ls: bad dataset reference 'iris@': empty ref after '@'"),
        ("ls 'unclosed", "%kamld: cannot parse the arguments (No closing quotation)"),
        ("frobnicate", "%kamld: unknown subcommand 'frobnicate'"),
        ("help nope", "%kamld: unknown subcommand 'nope'"),
    ],
)
def test_bad_arguments_print_usage(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], line: str, expected: str
) -> None:
    # No sidecar: argument mistakes are caught before any request.
    out = magic(shell, capsys, line)
    assert out.startswith(expected), out
    assert "usage:" in out.lower(), out


@pytest.mark.parametrize("command", ["ls", "snapshot", "diff", "log", "status", "help"])
def test_every_subcommand_has_help(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    overview = magic(shell, capsys, "help")
    assert f"  {command}" in overview
    for line in (f"help {command}", f"{command} -h", f"{command} --help"):
        out = magic(shell, capsys, line)
        assert out.startswith(f"usage: %kamld {command}"), out
        assert out.count("usage:") == 1, out


def test_magics_without_a_sidecar_say_so(shell: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    for line in ("ls", "log iris", "diff iris@v1 iris@v2", "snapshot iris -m x"):
        assert magic(shell, capsys, line).startswith("kamld: UNAVAILABLE (14): "), line


def test_text_helpers() -> None:
    table = format_table([{"a": "x", "b": ["p", "q"]}, {"a": "long" * 20, "b": None}], ["a", "b"], {"a": 10})
    assert table.splitlines() == ["a           b", "x           p,q", "longlongl…"]
    assert [human_bytes(n) for n in (None, 0, 1023, 1024, 5 << 20)] == [
        "-",
        "0 B",
        "1023 B",
        "1.0 KB",
        "5.0 MB",
    ]

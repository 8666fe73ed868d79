"""Short refs, "dataset[@ref][/path]": the ONE parser the Python client and the magics use.

It mirrors the sidecar's rules (sidecar/internal/resource: shortref.go, ref.go, names.go, path.go) so that a
typo is reported before any request is sent, with the same wording the sidecar would use:

- dataset id: a DNS label, 1-63 of [a-z0-9-], starting with a letter, not ending with '-';
- ref: "" (the latest snapshot), "draft", "v3", a snapshot id prefix of 6-64 hex digits, a tag or a branch
  (1-63 of [a-z0-9._-], starting with a letter or digit; one namespace), or a branch's draft "exp~draft";
- path: relative, '/'-separated, NFC, no empty/"."/".." segments, no control or invisible characters;
  a folder ends in '/'.

Errors are ValueError: a bad ref is the caller's mistake, not the sidecar's answer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .errors import invalid_argument

DRAFT = "draft"
# The name of the JupyterLab drive (labextension/src/drive) before the short ref in the paths it shows.
DRIVE_PREFIX = "kamld:"
DEFAULT_BRANCH = "main"
BRANCH_DRAFT_SUFFIX = "~" + DRAFT
MAX_ID_LENGTH = 63
MIN_ID_PREFIX = 6
MAX_ID_PREFIX = 64
MAX_PATH_BYTES = 1024
MAX_SEGMENT_BYTES = 255

_SEQUENCE = re.compile(r"v[0-9]+")
_ID_PREFIX = re.compile(r"[0-9a-f]{6,}")
_SHORT_REF_FORM = 'write "dataset", "dataset@ref" or "dataset@ref/path", e.g. "iris@v3/train.csv"'


@dataclass(frozen=True)
class ShortRef:
    """A parsed short ref. `ref` "" is the latest snapshot; `path` "" is the whole dataset."""

    dataset: str
    ref: str = ""
    path: str = ""

    @property
    def is_folder(self) -> bool:
        """True for the whole dataset or a path ending in '/'."""
        return self.path == "" or self.path.endswith("/")

    def __str__(self) -> str:
        out = self.dataset
        if self.ref:
            out += "@" + self.ref
        if self.path:
            out += "/" + self.path
        return out


def validate_dataset_id(dataset_id: str) -> str:
    """`dataset_id` when it is a valid dataset id; ValueError saying what is wrong otherwise."""
    if not dataset_id:
        raise invalid_argument("dataset id must not be empty")
    if len(dataset_id) > MAX_ID_LENGTH:
        raise invalid_argument(f"dataset id is {len(dataset_id)} characters long; at most {MAX_ID_LENGTH}")
    if not ("a" <= dataset_id[0] <= "z"):
        raise invalid_argument(f"dataset id {dataset_id!r} must start with a lowercase letter")
    if dataset_id.endswith("-"):
        raise invalid_argument(f"dataset id {dataset_id!r} must not end with '-'")
    for i, c in enumerate(dataset_id, 1):
        if not ("a" <= c <= "z" or "0" <= c <= "9" or c == "-"):
            raise invalid_argument(
                f"dataset id {dataset_id!r} has {c!r} at position {i}; only a-z, 0-9 and '-' are allowed"
            )
    return dataset_id


def _tag_problem(tag: str) -> str | None:
    """Why `tag` is not a valid tag id, or None when it is."""
    if not tag:
        return "must not be empty"
    if len(tag) > MAX_ID_LENGTH:
        return f"is {len(tag)} characters long; at most {MAX_ID_LENGTH}"
    if not ("a" <= tag[0] <= "z" or "0" <= tag[0] <= "9"):
        return f"{tag!r} must start with a lowercase letter or digit"
    for i, c in enumerate(tag, 1):
        if not ("a" <= c <= "z" or "0" <= c <= "9" or c in "-_."):
            return f"{tag!r} has {c!r} at position {i}; only a-z, 0-9, '.', '_' and '-' are allowed"
    if tag == DRAFT:
        return '"draft" names the working state, not a tag'
    if _SEQUENCE.fullmatch(tag):
        return f"{tag!r} reads as a snapshot sequence number"
    if _ID_PREFIX.fullmatch(tag):
        return f"{tag!r} reads as a snapshot id prefix (6 or more hex digits)"
    return None


def validate_tag_id(tag: str) -> str:
    """`tag` when it is a valid snapshot tag id; ValueError otherwise."""
    problem = _tag_problem(tag)
    if problem:
        raise invalid_argument(f"tag {problem}")
    return tag


def validate_branch_name(name: str) -> str:
    """`name` when it is a valid branch name (the rules of tag ids); ValueError otherwise."""
    problem = _tag_problem(name)
    if problem:
        raise invalid_argument(f"branch {problem.replace('not a tag', 'not a branch')}")
    return name


def draft_branch(ref: str) -> str | None:
    """The branch whose draft `ref` names ("exp" for "exp~draft", "" for "draft"), or None for a snapshot."""
    if ref == DRAFT:
        return ""
    if ref.endswith(BRANCH_DRAFT_SUFFIX):
        return ref.removesuffix(BRANCH_DRAFT_SUFFIX)
    return None


def scoped_dataset(dataset: str, branch: str) -> str:
    """The dataset name requests use to act on a branch's draft and history: "iris" or "iris@exp"."""
    return dataset if branch in ("", DEFAULT_BRANCH) else f"{dataset}@{branch}"


def validate_ref(ref: str) -> str:
    """`ref` when it is a valid ref ("", "draft", "v3", an id prefix, a tag or branch, "<branch>~draft");
    ValueError otherwise."""
    if ref in ("", DRAFT):
        return ref
    if ref.endswith(BRANCH_DRAFT_SUFFIX):
        try:
            validate_branch_name(ref.removesuffix(BRANCH_DRAFT_SUFFIX))
        except ValueError as exc:
            raise invalid_argument(f"{ref!r}: the draft of a branch is <branch>~draft: {exc}") from None
        return ref
    if _SEQUENCE.fullmatch(ref):
        if ref[1] == "0" or int(ref[1:]) >= 2**63:
            raise invalid_argument(
                f"{ref!r}: sequence numbers start at v1, have no leading zeros and fit in 63 bits"
            )
        return ref
    if _ID_PREFIX.fullmatch(ref):
        if len(ref) > MAX_ID_PREFIX:
            raise invalid_argument(f"{ref!r}: a snapshot id has at most {MAX_ID_PREFIX} hex digits")
        return ref
    problem = _tag_problem(ref)
    if problem:
        raise invalid_argument(
            f'{ref!r} is not a ref (latest "", "draft", "v3", an id prefix of 6+ hex digits, '
            f"a tag or branch, or <branch>~draft): {problem}"
        )
    return ref


def _forbidden_in_path(c: str) -> bool:
    """Characters no path may hold (path.go forbiddenInPath)."""
    o = ord(c)
    if o < 0x20 or o == 0x7F or 0x80 <= o < 0xA0 or c == "\\" or o == 0xFFFD:
        return True
    if unicodedata.category(c) in ("Cf", "Zl", "Zp", "Co", "Cs"):
        return True
    return 0xFFF9 <= o <= 0xFFFC or 0xFDD0 <= o <= 0xFDEF or (o & 0xFFFE) == 0xFFFE


def validate_path(path: str) -> str:
    """`path` when it is a valid file path inside a dataset; ValueError otherwise."""
    if not path:
        raise invalid_argument("path must not be empty")
    size = len(path.encode("utf-8", "surrogatepass"))
    if size > MAX_PATH_BYTES:
        raise invalid_argument(f"path is {size} bytes; at most {MAX_PATH_BYTES}")
    if path.startswith("/"):
        raise invalid_argument(f"path {path!r} is absolute; paths are relative to the dataset root")
    for i, c in enumerate(path):
        if _forbidden_in_path(c):
            raise invalid_argument(
                f"path {path!r} has the character U+{ord(c):04X} at index {i}, which is not allowed"
            )
    nfc = unicodedata.normalize("NFC", path)
    if nfc != path:
        raise invalid_argument(f"path {path!r} is not in Unicode normalization form C (write it as {nfc!r})")
    for segment in path.split("/"):
        if segment == "":
            raise invalid_argument(f"path {path!r} has an empty segment (a leading, trailing or doubled '/')")
        if segment in (".", ".."):
            raise invalid_argument(f"path {path!r} has a {segment!r} segment")
        if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise invalid_argument(f"path {path!r} has a segment longer than {MAX_SEGMENT_BYTES} bytes")
    return path


def validate_prefix(prefix: str) -> str:
    """A listing prefix: empty, or a valid path optionally ending in '/'."""
    if prefix:
        validate_path(prefix.removesuffix("/"))
    return prefix


def parse_short_ref(text: str) -> ShortRef:
    """Parse "dataset[@ref][/path]" (shortref.go ParseShortRef); ValueError naming what is wrong.

    The path JupyterLab's kamld drive shows, "kamld:dataset[@ref][/path]" (docs/drive.md), is accepted as it
    is: the drive's prefix is dropped before parsing.
    """
    if not isinstance(text, str):
        raise TypeError(f"a short ref is a string like 'iris@v3/train.csv', not {type(text).__name__}")
    text = text.removeprefix(DRIVE_PREFIX)
    head, has_path, path = text.partition("/")
    dataset, has_ref, ref = head.partition("@")
    try:
        validate_dataset_id(dataset)
        if has_ref:
            if ref == "":
                raise invalid_argument("empty ref after '@' (leave out '@' for the latest snapshot)")
            validate_ref(ref)
        if has_path:
            if path == "":
                raise invalid_argument("empty path after '/'")
            validate_prefix(path)
    except ValueError as exc:
        raise invalid_argument(f"bad dataset reference {text!r}: {exc}; {_SHORT_REF_FORM}") from None
    return ShortRef(dataset=dataset, ref=ref, path=path)

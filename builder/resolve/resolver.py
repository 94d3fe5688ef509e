"""Each distinct `dockless://` reference built once, then every document rewritten to `REPO@sha256:…`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from builder.errors import UsageError

from .documents import Documents
from .refs import PREFIX, SourceRef, image_names, parse_ref

# build(ref, image) -> the pushed image pinned by digest ("host/repo@sha256:…"); raises DocklessError
BuildFn = Callable[[SourceRef, str], str]


def resolve_documents(files: Sequence[Documents], prefix: str, build: BuildFn,
                      log: Callable[[str], None] = lambda _: None) -> dict[str, str]:
    """Build every reference in `files` and rewrite them in place; return {reference as written: pinned image}.

    References are parsed, and directory references looked up, before
    anything is built, so a malformed or missing one fails the run
    (UsageError, naming the file) with nothing built; the same source written twice
    (in one document or several) is built once. Builds run one after another
    in the order the references first appear; the first failure stops the run
    and no document is rewritten (the caller writes nothing).
    """
    written: dict[str, SourceRef] = {}
    for doc in files:
        for text in doc.references():
            if text not in written:
                written[text] = ref = parse_ref(text)
                if not ref.is_git and not Path(ref.source).is_dir():
                    raise UsageError(f"{doc.path}: {ref.display} names no directory ({Path(ref.source).absolute()})",
                                     "directory references are relative to the current directory: run "
                                     "dockless resolve from where they start, or fix the path")
    by_source: dict[tuple[str, str | None, str | None], SourceRef] = {}
    for ref in written.values():
        by_source.setdefault((ref.source, ref.revision, ref.subdir), ref)
    names = image_names(by_source.values(), prefix)
    pinned: dict[SourceRef, str] = {}
    total = len(by_source)
    for index, ref in enumerate(by_source.values(), 1):
        log(f"[{index}/{total}] building {ref.display} as {names[ref]}")
        pinned[ref] = build(ref, names[ref])
        log(f"[{index}/{total}] {ref.display} → {pinned[ref]}")
    images = {text: pinned[by_source[(ref.source, ref.revision, ref.subdir)]] for text, ref in written.items()}
    for doc in files:
        doc.replace(images)
    return images


__all__ = ["PREFIX", "BuildFn", "resolve_documents"]

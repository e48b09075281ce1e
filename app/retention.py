"""Removing personal data in batches, each batch its own transaction: a purge that dies halfway
leaves every item either removed entirely or untouched, and the next run carries on. Files behind
removed uploads are deleted from storage only after their rows' removal has committed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app import uow
from app.media.services import delete_uploads, resolve

BATCH_SIZE = 100


def in_batches(
    find: Callable[[int], list[int]], purge_one: Callable[[int], list[str] | bool | None], upload_root: Path
) -> int:
    """`find(limit)` lists ids still to purge; `purge_one(id)` removes one item in the open
    transaction (False or None: nothing left to do; a list: the upload URLs it held, removed with it).
    Returns how many items were purged."""
    removed = 0
    while True:
        ids = find(BATCH_SIZE)
        if not ids:
            return removed
        done, urls = 0, []
        try:
            for item_id in ids:
                outcome = purge_one(item_id)
                if outcome is None or outcome is False:
                    continue
                done += 1
                if isinstance(outcome, list):
                    urls += outcome
            files = delete_uploads(urls)
            uow.after_commit(remove_files, upload_root, files)
            uow.commit()
        except Exception:
            uow.rollback()
            raise
        removed += done
        if not done:  # what find() lists cannot be purged (another run holds it): try again tomorrow
            return removed


def remove_files(root: Path, relative_paths: list[str]) -> None:
    for relative in relative_paths:
        target = resolve(root, relative)
        if target is not None:
            target.unlink(missing_ok=True)

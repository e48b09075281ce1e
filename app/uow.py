"""One unit of work per use case, and work that must only follow a successful commit.

The service that owns a use case commits once, with `commit()`. What has to happen after the data
is safely stored (cache bumps, capacity alerts, subscribe messages) is registered with
`after_commit()` while the use case runs and is run by `commit()` once the commit has succeeded,
each step on its own: a step that fails is logged and never turns a committed write into an error.
A rollback (any error answer) forgets the registered steps.

Inside `deferred()` (a write answered once per Idempotency-Key) `commit()` only flushes: the
caller commits once, the use case's writes together with the answer it stores for retries.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable

from app.extensions import db

log = logging.getLogger(__name__)
_HOOKS = "after_commit"
_DEFERRED = "commit_deferred"


def after_commit(step: Callable, *args, **kwargs) -> None:
    """Run `step(*args, **kwargs)` after the current transaction commits (not at all if it rolls
    back). The same step with the same arguments is registered once (e.g. one cache bump)."""
    steps = db.session.info.setdefault(_HOOKS, [])
    new = functools.partial(step, *args, **kwargs)
    if not any(s.func == new.func and s.args == new.args and s.keywords == new.keywords for s in steps):
        steps.append(new)


def commit(*, expire: bool = True) -> None:
    """Commit the unit of work, then run its after-commit steps. `expire=False` keeps the session's
    objects as they were written (a use case that answers with the row it just wrote saves reloading
    it); the steps read what they need afresh with statements of their own."""
    if db.session.info.get(_DEFERRED):
        db.session.flush()  # the owner of `deferred()` commits; its steps wait for that commit
        return
    session = db.session()
    if expire:
        session.commit()
    else:
        previous, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = previous
    run_after_commit()


@contextlib.contextmanager
def deferred():
    """Within: a use case's `commit()` flushes; the caller commits everything at once afterwards."""
    info = db.session.info
    info[_DEFERRED] = info.get(_DEFERRED, 0) + 1
    try:
        yield
    finally:
        info[_DEFERRED] -= 1
        if not info[_DEFERRED]:
            del info[_DEFERRED]


def rollback() -> None:
    """Nothing of a failed unit of work is kept, and a broken transaction must not break what
    follows. On a dropped connection the rollback itself may fail: the session is then discarded,
    and the pool replaces the connection."""
    discard()
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001
        log.warning("rollback failed (connection lost); the session is discarded")
        try:
            db.session.remove()
        except Exception:  # noqa: BLE001
            log.warning("session could not be closed cleanly")


def run_after_commit() -> None:
    steps = db.session.info.pop(_HOOKS, [])
    for step in steps:
        try:
            step()
        except Exception:  # noqa: BLE001 - the write is committed; a follow-up must not undo the answer
            log.exception("after-commit step %s failed; the write itself is committed", _name(step))
            try:
                db.session.rollback()
            except Exception:  # noqa: BLE001
                log.warning("rollback after a failed after-commit step failed too")


def discard() -> None:
    """Forget the steps of a unit of work that did not commit."""
    with contextlib.suppress(RuntimeError):  # outside an app context there is nothing to forget
        db.session.info.pop(_HOOKS, None)


def _name(step: Callable) -> str:
    inner = step.func if isinstance(step, functools.partial) else step
    return getattr(inner, "__qualname__", repr(inner))

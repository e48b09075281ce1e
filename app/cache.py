"""Shared response cache in Redis (fakeredis without REDIS_URL), invalidated by generation, with a
process-local copy in front of it.

Each namespace ("zones", …) has a generation counter; keys embed it, so bumping the counter after
a change makes every cached page of that namespace unreachable at once, in every process, without
scanning keys. Entries expire on their own.

The process-local layer: every process keeps the generations it has seen and recent bodies. A bump
is published on a Redis channel; a listener thread in each process applies it as soon as it hears it
(the message's trip and the thread's turn: milliseconds, during which that process may still serve
the previous page; the writing process itself bumps before it answers). While the
listener is not connected (starting, Redis away or frozen: it pings, and a Redis silent for
SILENT_LIMIT seconds counts as away) nothing local is trusted: the generation is read from Redis on
every request, as it would be without the local layer, and when it cannot be read the namespace's
local copy is dropped and the page built afresh. So a cached read costs no Redis round trip when
nothing changed, and a change is seen in each process as soon as its listener hears it.

A bump that fails (Redis away when a change commits) is kept as owed: until it is made, this process
builds that namespace's pages afresh, and it is made as soon as Redis answers again (by the next
read, or the listener within a second), so no page older than the change is served once Redis is back.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import redis as redis_lib
from flask import current_app

from app import metrics
from app.extensions import kv

log = logging.getLogger(__name__)
DEFAULT_TTL = 600
CHANNEL = "cache:gen"
AUTH_CHANNEL = "auth:changed"  # "token <hash>" revoked, "user <id>" changed: dropped from every process
TOKEN_SECONDS = 60  # the longest a process keeps a token without asking the database
TOKENS_MAX = 20_000
LOCAL_MAX_BYTES = 16 * 1024 * 1024  # per process
PING_EVERY = 1.0  # seconds between the listener's pings
SILENT_LIMIT = 3.0  # a Redis that says nothing (no message, no pong) for this long is taken as away


@dataclass(frozen=True)
class CachedBody:
    body: bytes
    etag: str
    mimetype: str
    namespace: str = ""
    generation: int = 0
    expires: float = 0.0  # wall-clock seconds
    rule: str = ""  # under a URL for the fast path: the Flask URL rule of the view that answered it

    def to_json(self) -> str:
        return json.dumps(
            {
                "b": self.body.decode("utf-8"),
                "e": self.etag,
                "m": self.mimetype,
                "n": self.namespace,
                "g": self.generation,
                "x": self.expires,
                "r": self.rule,
            }
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> CachedBody:
        stored = json.loads(raw)
        return cls(
            stored["b"].encode("utf-8"),
            stored["e"],
            stored["m"],
            stored.get("n", ""),
            stored.get("g", 0),
            stored.get("x", 0.0),
            stored.get("r", ""),
        )


class LocalLayer:
    """Per process: the generations seen (trusted only while the listener is connected) and an LRU
    of bodies, bounded in bytes."""

    def __init__(self) -> None:
        self.generations: dict[str, int] = {}
        self.bodies: OrderedDict[str, CachedBody] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()
        self.listening = False
        self.pid = 0
        self.started = False
        self.stopped = threading.Event()
        self.pubsub = None
        self.shared = False
        self.owed: set[str] = set()  # namespaces whose bump failed: made once Redis answers
        # Counts resets: a generation read from Redis before a reset may predate a bump published
        # while the listener was away (and so missed); it must not be kept after the reset.
        self.epoch = 0

        self.tokens: OrderedDict[str, dict] = OrderedDict()

    def reset(self) -> None:
        with self.lock:
            self.epoch += 1
            self.generations.clear()
            self.bodies.clear()
            self.tokens.clear()
            self.size = 0

    def forget(self, namespace: str) -> None:
        """Drop what this process keeps of a namespace (its generation and bodies)."""
        with self.lock:
            self.generations.pop(namespace, None)
            for key in [k for k, entry in self.bodies.items() if entry.namespace == namespace]:
                self.size -= len(self.bodies.pop(key).body)

    def trusted(self) -> bool:
        """Whether what is local may be used: one process, or the listener is connected."""
        return not self.shared or self.listening

    def forget_auth(self, what: str) -> None:
        kind, _, value = what.partition(" ")
        with self.lock:
            if kind == "token":
                self.tokens.pop(value, None)
            else:
                for key in [k for k, entry in self.tokens.items() if str(entry["user_id"]) == value]:
                    del self.tokens[key]

    def put(self, key: str, entry: CachedBody) -> None:
        with self.lock:
            old = self.bodies.pop(key, None)
            if old is not None:
                self.size -= len(old.body)
            self.bodies[key] = entry
            self.size += len(entry.body)
            while self.size > LOCAL_MAX_BYTES and self.bodies:
                _, dropped = self.bodies.popitem(last=False)
                self.size -= len(dropped.body)

    def get(self, key: str) -> CachedBody | None:
        with self.lock:
            entry = self.bodies.get(key)
            if entry is not None:
                self.bodies.move_to_end(key)
            return entry

    def bump(self, namespace: str, generation: int, read_in_epoch: int | None = None) -> None:
        """Apply a generation: one heard or made now, or one read from Redis in `read_in_epoch`
        (ignored if the layer was reset since: the read may be older than a bump it missed)."""
        with self.lock:
            if read_in_epoch is not None and read_in_epoch != self.epoch:
                return
            known = self.generations.get(namespace, -1)
            if generation > known:
                self.generations[namespace] = generation
            elif generation < known:
                # Out of order, or Redis lost its counters: forget, and ask Redis next time.
                del self.generations[namespace]


def channel(name: str, client: redis_lib.Redis | None = None) -> str:
    """`name` for this Redis database: publish/subscribe ignores database numbers, so two services
    (or test runs) on one Redis server with different db numbers would hear each other's bumps."""
    client = client if client is not None else kv.redis
    return f"{name}:{client.connection_pool.connection_kwargs.get('db', 0)}"


def _layer() -> LocalLayer:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    layer = app.extensions.get("cache_local")
    if layer is None or layer.pid != os.getpid():  # a fork (gunicorn worker): start afresh
        layer = LocalLayer()
        layer.pid = os.getpid()
        layer.shared = kv.is_shared
        app.extensions["cache_local"] = layer
    if kv.is_shared and not layer.started:
        layer.started = True
        threading.Thread(target=_listen, args=(app, layer), name="cache-invalidation", daemon=True).start()
    return layer


def _listen(app, layer: LocalLayer) -> None:
    """Apply published bumps; on every (re)connection forget what is local, since bumps may have
    been missed meanwhile. A Redis that stops answering (frozen, a dead link) keeps the connection
    open: the listener pings, and takes SILENT_LIMIT seconds without a word as a disconnection."""
    while not layer.stopped.is_set():
        pubsub = None
        try:
            client = redis_lib.Redis.from_url(
                app.config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=SILENT_LIMIT
            )
            pubsub = layer.pubsub = client.pubsub(ignore_subscribe_messages=False)
            bumps, auth = channel(CHANNEL, client), channel(AUTH_CHANNEL, client)
            pubsub.subscribe(bumps, auth)
            subscribed, heard, pinged = 0, time.monotonic(), 0.0
            while not layer.stopped.is_set():
                if time.monotonic() - pinged >= PING_EVERY:
                    pubsub.ping()
                    pinged = time.monotonic()
                message = pubsub.get_message(timeout=PING_EVERY / 2) or {"type": None}
                if message["type"] is not None:
                    heard = time.monotonic()  # a pong will do
                elif time.monotonic() - heard > SILENT_LIMIT:
                    raise redis_lib.TimeoutError("Redis stopped answering the cache listener")
                if message["type"] == "subscribe":
                    subscribed += 1
                    if subscribed == 2:
                        layer.reset()
                        layer.listening = True
                elif message["type"] == "message" and message["channel"] == auth.encode():
                    layer.forget_auth(message["data"].decode())
                elif message["type"] == "message":
                    namespace, _, generation = message["data"].decode().rpartition(" ")
                    layer.bump(namespace, int(generation))
                if layer.owed:
                    with app.app_context():
                        _pay_owed(layer)
        except Exception:  # noqa: BLE001 - Redis away: trust nothing local until reconnected
            layer.listening = False
            with contextlib.suppress(Exception):
                if pubsub is not None:
                    pubsub.close()
            layer.stopped.wait(1)


def _pay_owed(layer: LocalLayer) -> None:
    """Make the bumps that failed while Redis was away (publishing them too). One more bump than
    needed (the first did reach Redis) only costs a rebuild."""
    with layer.lock:
        owed = sorted(layer.owed)
    for namespace in owed:
        try:
            value = kv.redis.incr(f"cache:gen:{namespace}")
            kv.redis.publish(channel(CHANNEL), f"{namespace} {value}")
        except redis_lib.RedisError:
            return
        with layer.lock:
            layer.owed.discard(namespace)
        layer.bump(namespace, value)


def shutdown(app) -> None:
    """Stop this process's listener (tests close many apps in one process)."""
    layer = app.extensions.get("cache_local")
    if layer is not None:
        layer.stopped.set()
        with contextlib.suppress(Exception):
            if layer.pubsub is not None:
                layer.pubsub.close()


def generation(namespace: str) -> int:
    """The namespace's generation: the local copy while it is kept fresh, else Redis. Raises
    RedisError when it cannot be known (Redis away, or a bump of this namespace still owed): the
    caller builds afresh."""
    layer = _layer()
    if layer.owed:
        _pay_owed(layer)
        if namespace in layer.owed:
            raise redis_lib.ConnectionError(f"the bump of cache namespace {namespace} is still owed")
    if layer.trusted():
        known = layer.generations.get(namespace)
        if known is not None:
            return known
    epoch = layer.epoch
    try:
        value = int(kv.redis.get(f"cache:gen:{namespace}") or 0)
    except redis_lib.RedisError:
        # What is local cannot be checked now; kept, it could be served for minutes once Redis is
        # back (the listener may not have noticed it go): drop it.
        layer.forget(namespace)
        raise
    layer.bump(namespace, value, read_in_epoch=epoch)
    return value


def invalidate(*namespaces: str) -> None:
    """Call after the change is committed."""
    for namespace in namespaces:
        try:
            value = kv.redis.incr(f"cache:gen:{namespace}")
            _layer().bump(namespace, value)
            kv.redis.publish(channel(CHANNEL), f"{namespace} {value}")
        except redis_lib.RedisError:
            # Never fail a committed write for the cache: the bump is owed, made once Redis answers;
            # meanwhile this process builds the namespace's pages afresh.
            layer = _layer()
            with layer.lock:
                layer.owed.add(namespace)
            layer.forget(namespace)
            log.warning("could not invalidate cache namespace %s; done once Redis answers", namespace)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def cached(namespace: str, key: str, build: Callable[[], tuple], ttl: int = DEFAULT_TTL) -> CachedBody:
    """The cached body for `key`, building (and storing) it when missing: `build` returns (body,
    mimetype) or (body, mimetype, seconds it stays true). Redis trouble means building every time,
    not an error."""
    try:
        current = generation(namespace)
        full_key = f"cache:{namespace}:{current}:{_digest(key)}"
    except redis_lib.RedisError:
        current, full_key = 0, None
        metrics.cache_lookup(namespace, "unavailable")
    if full_key is not None:
        found = _stored(full_key)
        if found is not None:
            return found
        # One build per process for a key: when an entry expires under load (slots every minute),
        # the other threads wait for it instead of all querying the database at once.
        with _building(full_key):
            found = _stored(full_key)
            if found is not None:
                return found
            metrics.cache_lookup(namespace, "miss")
            return _build_and_store(namespace, current, full_key, build, ttl)
    return _build_and_store(namespace, current, None, build, ttl)


def _stored(full_key: str) -> CachedBody | None:
    local = _layer().get(full_key)
    if local is not None and local.expires > time.time():
        metrics.cache_lookup(local.namespace, "local_hit")
        return local
    with contextlib.suppress(redis_lib.RedisError):
        hit = kv.redis.get(full_key)
        if hit is not None:
            entry = CachedBody.from_json(hit)
            if entry.expires > time.time():
                _layer().put(full_key, entry)
                metrics.cache_lookup(entry.namespace, "redis_hit")
                return entry
    return None


_BUILD_LOCKS: dict[str, threading.Lock] = {}
_BUILD_LOCKS_GUARD = threading.Lock()


@contextlib.contextmanager
def _building(full_key: str):
    with _BUILD_LOCKS_GUARD:
        lock = _BUILD_LOCKS.setdefault(full_key, threading.Lock())
    with lock:
        yield
    with _BUILD_LOCKS_GUARD:
        if not lock.locked():
            _BUILD_LOCKS.pop(full_key, None)


def _build_and_store(namespace: str, current: int, full_key: str | None, build, ttl: int) -> CachedBody:
    built = build()
    body, mimetype = built[0], built[1]
    if len(built) > 2:  # the answer says how long it stays true (slots: until the next state change)
        ttl = built[2]
    entry = CachedBody(body, hashlib.sha256(body).hexdigest()[:32], mimetype, namespace, current, time.time() + ttl)
    if full_key is not None:
        with contextlib.suppress(redis_lib.RedisError):
            kv.redis.set(full_key, entry.to_json(), ex=ttl)
            _layer().put(full_key, entry)
    return entry


# ---- the fast path: a request's own URL -> the entry, before Flask routes it -----------------------


def remember_url(url_key: str, entry: CachedBody, rule: str = "") -> None:
    """Let the fast path find `entry` by the request's URL (only for URLs that are canonical), for
    as long as the entry itself lives; `rule` is the Flask URL rule of the view that answered."""
    seconds = entry.expires - time.time()
    if seconds <= 0:
        return
    entry = dataclasses.replace(entry, rule=rule)
    with contextlib.suppress(redis_lib.RedisError):
        kv.redis.set(f"fast:{_digest(url_key)}", entry.to_json(), ex=max(1, math.ceil(seconds)))
        _layer().put(f"fast:{url_key}", entry)


def local_url_hit(app, url_key: str) -> CachedBody | None:
    """The fast path's first look, without an app context: the entry for a URL from this process's
    copy alone, when that copy may be used (one process, or the listener connected; no bump owed)
    and the entry is current (unexpired, its generation the one this process was told). That is
    exactly what `lookup_url` answers without asking Redis; anything else is None, and the caller
    asks `lookup_url`, which may ask Redis, pay owed bumps or forget what it cannot check."""
    layer = app.extensions.get("cache_local")
    if layer is None or layer.pid != os.getpid() or layer.owed or not layer.trusted():
        return None
    entry = layer.get(f"fast:{url_key}")
    if entry is None or entry.expires <= time.time():
        return None
    if layer.generations.get(entry.namespace) != entry.generation:
        return None
    return entry


def lookup_url(url_key: str) -> CachedBody | None:
    """The entry for a URL if it is still current (its generation is the namespace's), else None."""
    layer = _layer()
    now = time.time()
    entry = layer.get(f"fast:{url_key}")
    if entry is None:
        raw = kv.redis.get(f"fast:{_digest(url_key)}")
        if raw is None:
            return None
        entry = CachedBody.from_json(raw)
        layer.put(f"fast:{url_key}", entry)
    if entry.expires <= now or entry.generation != generation(entry.namespace):
        return None
    return entry


# ---- bearer tokens: who a token belongs to, without the database on every request ---------------


def cached_token(token_hash: str) -> dict | None:
    """What the database said of a token a moment ago (user id, audience, expiry, the user's
    columns), while nothing says it changed; None when unknown, stale or not trustworthy."""
    layer = _layer()
    if not (layer.shared and layer.listening):  # without a shared Redis no process could be told
        return None
    with layer.lock:
        entry = layer.tokens.get(token_hash)
    if entry is None or entry["cached_at"] + TOKEN_SECONDS < time.monotonic():
        return None
    return entry


def keep_token(token_hash: str, entry: dict) -> None:
    layer = _layer()
    if not (layer.shared and layer.listening):
        return
    with layer.lock:
        layer.tokens[token_hash] = {**entry, "cached_at": time.monotonic()}
        layer.tokens.move_to_end(token_hash)
        while len(layer.tokens) > TOKENS_MAX:
            layer.tokens.popitem(last=False)


def auth_changed(what: str) -> None:
    """After a commit that revoked a token ("token <hash>") or changed a user ("user <id>"): every
    process forgets it at once (here directly, elsewhere through the channel)."""
    _layer().forget_auth(what)
    try:
        kv.redis.publish(channel(AUTH_CHANNEL), what)
    except redis_lib.RedisError:
        # The other processes cannot be told: they stop trusting their copies when their listener
        # notices Redis is gone, and keep any for at most TOKEN_SECONDS.
        log.warning("could not publish an authentication change")

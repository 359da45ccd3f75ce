"""The Redis client: how it connects and retries, the errors that mean "no Redis", the scripts.

Every Redis client of the service fails fast (short timeouts, one short retry), so that a
request meets a Redis outage as a 503 within about a second, never a hung worker: the
store's client made here, and flask-limiter's (``limits.py``), with the same policy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any, cast

import hiredis
import redis
from redis.backoff import ExponentialBackoff
from redis.cluster import RedisCluster
from redis.commands.core import Script
from redis.retry import Retry

from .cluster import LazyCluster

Client = redis.Redis | RedisCluster

# hiredis's stub types its argument as a one-item tuple; it takes any number of items.
_pack_command = cast(Callable[[tuple[str, ...]], bytes], hiredis.pack_command)

STORAGE_ERRORS: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    redis.exceptions.TryAgainError,
    redis.exceptions.ClusterDownError,
    redis.exceptions.MasterDownError,
    redis.exceptions.ReadOnlyError,
    # Raised by RedisCluster when no node answers, or a slot has no master. (Our keys never
    # cross slots in one command, so its other use, a cross-slot command, cannot happen.)
    redis.exceptions.RedisClusterException,
)


def is_out_of_memory(exc: Exception) -> bool:
    """Say whether a Redis error means it is out of memory (maxmemory with noeviction)."""
    if isinstance(exc, redis.exceptions.OutOfMemoryError):
        return True
    return isinstance(exc, redis.exceptions.ResponseError) and "OOM command not allowed" in str(exc)


def retry_policy(retries: int = 1) -> Retry:
    """Return the retry of every Redis client of the service: short, with backoff."""
    return Retry(ExponentialBackoff(cap=0.1, base=0.01), retries)


def connect(
    url: str, *, cluster: bool = False, socket_timeout: float = 0.5, retries: int = 1
) -> Client:
    """Return a Redis client that fails fast: short timeouts, a short retry with backoff."""
    options: dict[str, Any] = {
        "decode_responses": True,
        "socket_timeout": socket_timeout,
        "socket_connect_timeout": socket_timeout,
        "retry": retry_policy(retries),
        # No health_check_interval: its PING has a retry of its own, nested inside the
        # connect's, which doubled the wait for a 503 on a paused Redis (2 s instead of 1).
        # A dead idle connection is caught by the retry on the command instead.
        "retry_on_error": [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError],
    }
    if cluster:
        # RedisCluster retries a failed command itself (with `retry`, after re-reading the
        # slot map on MOVED or a dead node), so no per-connection retry on top of it.
        options.pop("retry_on_error")
        # Connected on first use, so the service starts (and answers 503) while the
        # cluster is down.
        return cast(RedisCluster, LazyCluster(url, options))
    return redis.Redis.from_url(url, **options)


def read_commands(
    client: Client, commands: Sequence[tuple[str, ...]], *, keep_errors: bool = False
) -> list[Any]:
    """Send commands with no reply callbacks, and return their replies, in one trip.

    Each command names its key first, or is an EVALSHA (its keys after their number). An
    error reply is raised once every reply is read, so the connection stays usable; with
    ``keep_errors`` it is returned in its place instead, for the caller to judge.
    """
    single = client if isinstance(client, redis.Redis) else None
    if single is None:
        # A cluster's pipeline sends each node its share of the keys.
        pipe = client.pipeline(transaction=False)
        for command in commands:
            if command[0] == "EVALSHA":
                # Named, because redis-py's pipeline asks a node (COMMAND GETKEYS, one more
                # round trip each time) for the keys of a command it has no policy for.
                node = cast(Any, client).get_node_from_key(command[3])  # untyped in redis-py
                pipe.execute_command(*command, target_nodes=node)
            else:
                pipe.execute_command(*command, keys=[command[1]])
        return list(pipe.execute(raise_on_error=not keep_errors))
    # A hand-written pipeline, kept because it earns more than 5% on the 100-article GET
    # against client.pipeline(transaction=False), in requests a second and in the read's
    # CPU (docs/benchmark.md, "Hand-written copies of library routines"): redis-py's
    # pipeline spends more Python on each command (queueing, packing argument by
    # argument, each reply through its callbacks). These replies
    # need no callback, so hiredis packs the commands at once and they are read straight
    # off one pooled connection, with the client's retry, as Redis.execute_command does
    # for one command. It leans on redis-py's connection API (get_connection,
    # send_packed_command, read_response, retry), which tests/test_store.py exercises.
    packed = [b"".join([_pack_command(command) for command in commands])]
    pool = single.connection_pool
    conn: Any = pool.get_connection()  # redis-py's connections are not typed

    def attempt() -> list[Any]:
        conn.send_packed_command(packed)
        replies: list[Any] = []
        for _ in commands:
            try:
                replies.append(conn.read_response())
            except redis.exceptions.ResponseError as error:  # an error reply: read on
                replies.append(error)
        return replies

    try:
        replies: list[Any] = conn.retry.call_with_retry(attempt, lambda _error: conn.disconnect())
    except BaseException:
        conn.disconnect()  # unread replies must not reach the connection's next user
        raise
    finally:
        pool.release(conn)
    for reply in replies:
        if isinstance(reply, redis.exceptions.ResponseError) and not keep_errors:
            raise reply
    return replies


def evalsha(script: Script, keys: Sequence[str], args: Sequence[Any]) -> tuple[str, ...]:
    """Return the EVALSHA command of a script call, every argument a string."""
    return ("EVALSHA", script.sha, str(len(keys)), *keys, *(str(a) for a in args))


def read_with_script(
    client: Client,
    script: Script,
    keys: Sequence[str],
    args: Sequence[Any],
    commands: Sequence[tuple[str, ...]] = (),
    *,
    keep_errors: bool = False,
) -> list[Any]:
    """Send a script's call and the commands in one ``read_commands`` trip: its reply first.

    A script Redis does not hold (a restart, SCRIPT FLUSH) ran nothing: it is loaded and
    everything is sent again. On one Redis this is how the reaction script is sent, for
    the reasons of ``read_commands`` (Script.__call__ and execute_command pack the call
    argument by argument and look up reply callbacks): a limited POST spends 5.6-5.9% less
    CPU so than through Script (``docs/benchmark.md``, "Where a limited request's CPU goes").
    """
    sent = [evalsha(script, keys, args), *commands]
    try:
        replies = read_commands(client, sent, keep_errors=keep_errors)
        if not isinstance(replies[0], redis.exceptions.NoScriptError):
            return replies
    except redis.exceptions.NoScriptError:
        pass
    client.script_load(script.script)
    return read_commands(client, sent, keep_errors=keep_errors)


ScriptCall = tuple[Script, Sequence[str], Sequence[Any]]  # a script, its keys, its args


def run_script(call: ScriptCall) -> Any:
    """Run one script call (loading the script if Redis does not hold it)."""
    script, script_keys, args = call
    return script(keys=script_keys, args=args)


def run_scripts(client: RedisCluster, calls: Sequence[ScriptCall]) -> list[Any]:
    """Run scripts of different slots of a cluster at once: one trip, each node its own.

    The replies come back in order; an error reply is raised once every reply is read. A
    script that its node does not hold (after a restart or SCRIPT FLUSH) is sent again
    alone, through its Script, which loads it: the others have run and must not run twice.
    """
    cluster = cast(Any, client)  # RedisCluster's pipeline() is untyped in redis-py
    pipe = cluster.pipeline(transaction=False)
    for script, script_keys, args in calls:
        # Named, or redis-py's pipeline asks a node for the keys (COMMAND GETKEYS).
        node = cluster.get_node_from_key(script_keys[0])
        pipe.execute_command(*evalsha(script, script_keys, args), target_nodes=node)
    replies = list(pipe.execute(raise_on_error=False))
    for i, reply in enumerate(replies):
        if isinstance(reply, redis.exceptions.NoScriptError):
            replies[i] = run_script(calls[i])
    for reply in replies:
        if isinstance(reply, Exception):
            raise reply
    return replies


def script_source(name: str) -> str:
    """Return a script of ``lua/``, after the functions of ``lua/lib/`` its first line uses.

    One function file serves every script that calls it (``-- uses: windows set_reaction``):
    the reaction of one Redis and the calls of a cluster run the same Lua.
    """
    lua = resources.files("widget.store").joinpath("lua")
    source = lua.joinpath(name).read_text("utf-8")
    first = source.partition("\n")[0]
    uses = first.removeprefix("-- uses:").split() if first.startswith("-- uses:") else []
    return "".join(lua.joinpath("lib", f"{use}.lua").read_text("utf-8") for use in uses) + source


def register_script(client: Client, name: str) -> Script:
    """Return a script of ``lua/`` registered on the client (no round trip).

    Its Script re-sends the source after a NOSCRIPT (a restart, SCRIPT FLUSH), as
    ``read_with_script`` and ``run_scripts`` do for the EVALSHAs they send.
    """
    return client.register_script(script_source(name))

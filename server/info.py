"""INFO: the sections, their fields in Redis 7.0's order and format, and how a request
picks sections.

Output format (genRedisInfoString): each section is "# Title\\r\\n" then "field:value\\r\\n"
lines; sections are separated by one "\\r\\n"; unknown section names add nothing. The
section order is fixed whatever the order asked. `default` is every section but
commandstats; `all` and `everything` add commandstats (no modules exist to add more).

Other components add or correct fields through `ServerState.add_info_provider(section,
fn)`: fn() returns (field, value) pairs; a field already in the section keeps its place
and takes the new value, a new one is appended; a section INFO does not know becomes a
section of its own (shown by name, and with `all`/`everything`). Persistence fills its
rdb_*/aof_* fields this way.

Memory is measured, not estimated from the dataset: used_memory is the process's
resident set size (/proc/self/statm), which includes the interpreter itself; the
startup value is the RSS once the server was built, and used_memory_dataset is the
growth since. There is no allocator-level accounting (no jemalloc), so the allocator_*
fields are absent and the fragmentation ratio is 1.
"""

from __future__ import annotations

import hashlib
import os
import platform
import resource
import struct
import sys
import time
from typing import TYPE_CHECKING, Any, Callable, Iterable

from server.state import EMBERKV_VERSION, REDIS_VERSION

if TYPE_CHECKING:
    from server.registry import CommandSpec
    from server.state import ServerState

Field = tuple[str, Any]
SectionBuilder = Callable[["ServerState"], list[Field]]

_BUILD_ID = hashlib.sha1(
    f"emberkv {EMBERKV_VERSION} python {platform.python_version()}".encode()
).hexdigest()[:16]
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


# ------------------------------------------------------------------ measurements

def process_rss_bytes() -> int:
    """The resident set size of this process, in bytes (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * _PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def start_memory_tracking(server: "ServerState") -> None:
    server.used_memory_startup = server.used_memory_peak = process_rss_bytes()


def sample_memory(server: "ServerState") -> int:
    """Current used memory; keeps the peak (called by the cron and by INFO)."""
    used = process_rss_bytes()
    if used > server.used_memory_peak:
        server.used_memory_peak = used
    return used


def used_memory(server: "ServerState") -> int:
    """INFO's used_memory: with maxmemory set, the startup RSS plus the dataset's
    account (server/memory.py), what eviction reads; else the process RSS."""
    rss = sample_memory(server)
    memory = server.keyspace.memory
    if memory is None:
        return rss
    used = server.used_memory_startup + memory.dataset_bytes()
    server.used_memory_peak = max(server.used_memory_peak, used)
    return used


def total_system_memory() -> int:
    try:
        return os.sysconf("SC_PHYS_PAGES") * _PAGE_SIZE
    except (ValueError, OSError, AttributeError):
        return 0


def bytes_to_human(size: int) -> str:
    """Redis's bytesToHuman: B below 1K, else two decimals and K, M, G, T, P."""
    if size < 1024:
        return f"{size}B"
    for power, unit in enumerate("KMGTP", start=1):
        if size < 1024 ** (power + 1) or unit == "P":
            return f"{size / 1024**power:.2f}{unit}"
    return f"{size}B"  # pragma: no cover


def _cpu(seconds: float) -> str:
    """Redis prints rusage times as "%ld.%06ld" (seconds.microseconds)."""
    micros = round(seconds * 1_000_000)
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def _ratio(value: float) -> str:
    return f"{value:.2f}"


def _multiplexing_api() -> str:
    if sys.platform.startswith("linux"):
        return "epoll"
    if sys.platform == "darwin" or "bsd" in sys.platform:
        return "kqueue"
    return "select"


def is_local_address(address: str) -> bool:
    """Redis's islocalClient: a unix socket, 127.0.0.1 or ::1."""
    if not address or address.startswith("/"):
        return True
    host = address.rsplit(":", 1)[0].strip("[]")
    return host in ("127.0.0.1", "::1")


# ------------------------------------------------------------------ sections

def server_section(server: "ServerState") -> list[Field]:
    uname = os.uname()
    uptime_s = server.uptime_s()
    hz = server.config["hz"]
    return [
        ("redis_version", REDIS_VERSION),
        ("emberkv_version", EMBERKV_VERSION),
        ("python_version", platform.python_version()),
        ("redis_git_sha1", "00000000"),
        ("redis_git_dirty", 0),
        ("redis_build_id", _BUILD_ID),
        ("redis_mode", "standalone"),
        ("os", f"{uname.sysname} {uname.release} {uname.machine}"),
        ("arch_bits", struct.calcsize("P") * 8),
        ("monotonic_clock", time.get_clock_info("monotonic").implementation),
        ("multiplexing_api", _multiplexing_api()),
        ("atomicvar_api", "python-gil"),
        ("gcc_version", "0.0.0"),
        ("process_id", server.pid),
        ("process_supervised", "no"),
        ("run_id", server.run_id),
        ("tcp_port", server.config["port"]),
        ("server_time_usec", time.time_ns() // 1000),
        ("uptime_in_seconds", uptime_s),
        ("uptime_in_days", uptime_s // 86400),
        ("hz", hz),
        ("configured_hz", hz),
        ("lru_clock", server.keyspace.lru_clock),
        ("executable", server.executable or os.path.abspath(sys.argv[0])),
        ("config_file", server.config.config_file or ""),
        ("io_threads_active", 0),
    ]


def clients_section(server: "ServerState") -> list[Field]:
    clients = list(server.clients.values())
    return [
        ("connected_clients", len(clients)),
        ("cluster_connections", 0),
        ("maxclients", server.config["maxclients"]),
        ("client_recent_max_input_buffer",
         max((c.query_buffer_bytes() for c in clients), default=0)),
        ("client_recent_max_output_buffer",
         max((c.output_buffer_bytes() for c in clients), default=0)),
        ("blocked_clients", 0),
        ("tracking_clients", 0),
        ("clients_in_timeout_table", 0),
    ]


def memory_section(server: "ServerState") -> list[Field]:
    """used_memory as used_memory() says; without maxmemory the dataset is what RSS
    grew by past startup and client buffers."""
    used = used_memory(server)
    rss = process_rss_bytes()
    startup = server.used_memory_startup
    clients = sum(c.query_buffer_bytes() + c.output_buffer_bytes()
                  for c in server.clients.values())
    if server.keyspace.memory is not None:
        overhead = startup
    else:
        overhead = min(used, startup + clients)
    dataset = used - overhead
    peak = server.used_memory_peak
    net_used = used - startup
    system = total_system_memory()
    maxmemory = server.config["maxmemory"]
    return [
        ("used_memory", used),
        ("used_memory_human", bytes_to_human(used)),
        ("used_memory_rss", rss),
        ("used_memory_rss_human", bytes_to_human(rss)),
        ("used_memory_peak", peak),
        ("used_memory_peak_human", bytes_to_human(peak)),
        ("used_memory_peak_perc", f"{100 * used / peak if peak else 100:.2f}%"),
        ("used_memory_overhead", overhead),
        ("used_memory_startup", startup),
        ("used_memory_dataset", dataset),
        ("used_memory_dataset_perc",
         f"{100 * dataset / net_used if net_used > 0 else 0:.2f}%"),
        ("total_system_memory", system),
        ("total_system_memory_human", bytes_to_human(system)),
        # No scripting or functions engine exists, so these hold nothing.
        ("used_memory_lua", 0),
        ("used_memory_vm_eval", 0),
        ("used_memory_lua_human", "0B"),
        ("used_memory_scripts_eval", 0),
        ("number_of_cached_scripts", 0),
        ("number_of_functions", 0),
        ("number_of_libraries", 0),
        ("used_memory_vm_functions", 0),
        ("used_memory_vm_total", 0),
        ("used_memory_vm_total_human", "0B"),
        ("used_memory_functions", 0),
        ("used_memory_scripts", 0),
        ("used_memory_scripts_human", "0B"),
        ("maxmemory", maxmemory),
        ("maxmemory_human", bytes_to_human(maxmemory)),
        ("maxmemory_policy", server.config["maxmemory-policy"]),
        ("mem_fragmentation_ratio", f"{rss / used if used else 1:.2f}"),
        ("mem_fragmentation_bytes", rss - used),
        ("mem_not_counted_for_evict", 0),
        ("mem_replication_backlog", 0),
        ("mem_total_replication_buffers", 0),
        ("mem_clients_slaves", 0),
        ("mem_clients_normal", clients),
        ("mem_cluster_links", 0),
        ("mem_aof_buffer", 0),
        ("mem_allocator", "pymalloc"),
        ("active_defrag_running", 0),
        ("lazyfree_pending_objects", 0),
        ("lazyfreed_objects", 0),
    ]


def persistence_section(server: "ServerState") -> list[Field]:
    """What is true without RDB or AOF: nothing saved, nothing in progress. The
    persistence components replace these through their info providers."""
    return [
        ("loading", int(server.is_loading)),
        ("async_loading", 0),
        ("current_cow_peak", 0),
        ("current_cow_size", 0),
        ("current_cow_size_age", 0),
        ("current_fork_perc", "0.00"),
        ("current_save_keys_processed", 0),
        ("current_save_keys_total", 0),
        ("rdb_changes_since_last_save", server.keyspace.dirty),
        ("rdb_bgsave_in_progress", 0),
        ("rdb_last_save_time", server.started_ms // 1000),
        ("rdb_last_bgsave_status", "ok"),
        ("rdb_last_bgsave_time_sec", -1),
        ("rdb_current_bgsave_time_sec", -1),
        ("rdb_saves", 0),
        ("rdb_last_cow_size", 0),
        ("rdb_last_load_keys_expired", 0),
        ("rdb_last_load_keys_loaded", 0),
        ("aof_enabled", 0),
        ("aof_rewrite_in_progress", 0),
        ("aof_rewrite_scheduled", 0),
        ("aof_last_rewrite_time_sec", -1),
        ("aof_current_rewrite_time_sec", -1),
        ("aof_last_bgrewrite_status", "ok"),
        ("aof_rewrites", 0),
        ("aof_rewrites_consecutive_failures", 0),
        ("aof_last_write_status", "ok"),
        ("aof_last_cow_size", 0),
        ("module_fork_in_progress", 0),
        ("module_fork_last_cow_size", 0),
    ]


def stats_section(server: "ServerState") -> list[Field]:
    stats = server.stats
    keyspace = server.keyspace
    input_kbps, output_kbps = stats.instantaneous_kbps()
    return [
        ("total_connections_received", stats.total_connections_received),
        ("total_commands_processed", stats.total_commands_processed),
        ("instantaneous_ops_per_sec", stats.instantaneous_ops()),
        ("total_net_input_bytes", stats.net_input_bytes),
        ("total_net_output_bytes", stats.net_output_bytes),
        ("total_net_repl_input_bytes", 0),
        ("total_net_repl_output_bytes", 0),
        ("instantaneous_input_kbps", _ratio(input_kbps)),
        ("instantaneous_output_kbps", _ratio(output_kbps)),
        ("instantaneous_input_repl_kbps", "0.00"),
        ("instantaneous_output_repl_kbps", "0.00"),
        ("rejected_connections", stats.rejected_connections),
        ("sync_full", 0),
        ("sync_partial_ok", 0),
        ("sync_partial_err", 0),
        ("expired_keys", keyspace.expired_keys),
        ("expired_stale_perc", "0.00"),
        ("evicted_keys", keyspace.evicted_keys),
        ("evicted_clients", 0),
        ("total_eviction_exceeded_time", 0),
        ("current_eviction_exceeded_time", 0),
        ("keyspace_hits", keyspace.hits),
        ("keyspace_misses", keyspace.misses),
        ("pubsub_channels", 0),
        ("pubsub_patterns", 0),
        ("pubsubshard_channels", 0),
        ("latest_fork_usec", 0),
        ("total_forks", 0),
        ("migrate_cached_sockets", 0),
        ("slave_expires_tracked_keys", 0),
        ("active_defrag_hits", 0),
        ("active_defrag_misses", 0),
        ("active_defrag_key_hits", 0),
        ("active_defrag_key_misses", 0),
        ("total_active_defrag_time", 0),
        ("current_active_defrag_time", 0),
        ("tracking_total_keys", 0),
        ("tracking_total_items", 0),
        ("tracking_total_prefixes", 0),
        ("unexpected_error_replies", stats.unexpected_error_replies),
        ("total_error_replies", stats.total_error_replies),
        ("dump_payload_sanitizations", 0),
        ("io_threaded_reads_processed", 0),
        ("io_threaded_writes_processed", 0),
        ("reply_buffer_shrinks", 0),
        ("reply_buffer_expands", 0),
    ]


def replication_section(server: "ServerState") -> list[Field]:
    return [
        ("role", "master"),
        ("connected_slaves", 0),
        ("master_failover_state", "no-failover"),
        ("master_replid", server.replication_id),
        ("master_replid2", "0" * 40),
        ("master_repl_offset", 0),
        ("second_repl_offset", -1),
        ("repl_backlog_active", 0),
        ("repl_backlog_size", server.config["repl-backlog-size"]),
        ("repl_backlog_first_byte_offset", 0),
        ("repl_backlog_histlen", 0),
    ]


def cpu_section(server: "ServerState") -> list[Field]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    fields = [
        ("used_cpu_sys", _cpu(own.ru_stime)),
        ("used_cpu_user", _cpu(own.ru_utime)),
        ("used_cpu_sys_children", _cpu(children.ru_stime)),
        ("used_cpu_user_children", _cpu(children.ru_utime)),
    ]
    thread_usage = getattr(resource, "RUSAGE_THREAD", None)
    if thread_usage is not None:
        main = resource.getrusage(thread_usage)
        fields += [("used_cpu_sys_main_thread", _cpu(main.ru_stime)),
                   ("used_cpu_user_main_thread", _cpu(main.ru_utime))]
    return fields


def modules_section(server: "ServerState") -> list[Field]:
    return []


def _all_specs(specs: Iterable["CommandSpec"]) -> Iterable["CommandSpec"]:
    for spec in specs:
        yield spec
        yield from _all_specs(spec.subcommands.values())


def commandstats_section(server: "ServerState") -> list[Field]:
    fields: list[Field] = []
    for spec in _all_specs(server.registry):
        stats = spec.stats
        if not (stats.calls or stats.failed_calls or stats.rejected_calls):
            continue
        per_call = stats.usec / stats.calls if stats.calls else 0.0
        fields.append((
            f"cmdstat_{spec.name}",
            f"calls={stats.calls},usec={stats.usec},usec_per_call={per_call:.2f},"
            f"rejected_calls={stats.rejected_calls},failed_calls={stats.failed_calls}",
        ))
    return fields


def errorstats_section(server: "ServerState") -> list[Field]:
    counts = server.stats.errors_by_code
    return [(f"errorstat_{code}", f"count={counts[code]}") for code in sorted(counts)]


def cluster_section(server: "ServerState") -> list[Field]:
    return [("cluster_enabled", 0)]


# avg_ttl is an estimate in Redis too (sampled by the expire cycle); here it is the
# mean remaining TTL of at most this many keys with an expiry.
_AVG_TTL_SAMPLE = 4096


def keyspace_section(server: "ServerState") -> list[Field]:
    now = time.time_ns() // 1_000_000
    fields: list[Field] = []
    for db in server.keyspace.dbs:
        if not db.data:
            continue
        remaining = []
        for index, at_ms in enumerate(db.expires.values()):
            if index >= _AVG_TTL_SAMPLE:
                break
            if at_ms > now:
                remaining.append(at_ms - now)
        avg_ttl = sum(remaining) // len(remaining) if remaining else 0
        fields.append((f"db{db.index}",
                       f"keys={len(db.data)},expires={len(db.expires)},avg_ttl={avg_ttl}"))
    return fields


# (name, title, builder, in `default`), in the order INFO prints them.
SECTIONS: tuple[tuple[str, str, SectionBuilder, bool], ...] = (
    ("server", "Server", server_section, True),
    ("clients", "Clients", clients_section, True),
    ("memory", "Memory", memory_section, True),
    ("persistence", "Persistence", persistence_section, True),
    ("stats", "Stats", stats_section, True),
    ("replication", "Replication", replication_section, True),
    ("cpu", "CPU", cpu_section, True),
    ("modules", "Modules", modules_section, True),
    ("commandstats", "Commandstats", commandstats_section, False),
    ("errorstats", "Errorstats", errorstats_section, True),
    ("cluster", "Cluster", cluster_section, True),
    ("keyspace", "Keyspace", keyspace_section, True),
)
_KNOWN = {name for name, _, _, _ in SECTIONS}


def requested_sections(args: Iterable[bytes], extra: Iterable[str] = ()) -> set[str]:
    """The section names INFO args select (genInfoSectionDict): none means default."""
    words = [arg.decode("utf-8", "replace").lower() for arg in args]
    if not words:
        words = ["default"]
    chosen: set[str] = set()
    for word in words:
        if word in ("all", "everything"):
            chosen.update(_KNOWN)
            chosen.update(extra)
        elif word == "default":
            chosen.update(name for name, _, _, default in SECTIONS if default)
        else:
            chosen.add(word)
    return chosen


def _with_providers(server: "ServerState", name: str, fields: list[Field]) -> list[Field]:
    providers: Any = server.info_providers.get(name)
    if not providers:
        return fields
    if callable(providers):
        providers = [providers]
    merged = dict(fields)
    for provider in providers:
        for key, value in provider():
            merged[key] = value
    return list(merged.items())


def render_info(server: "ServerState", args: Iterable[bytes]) -> bytes:
    """The INFO reply text for these arguments."""
    extra = [name for name in server.info_providers if name not in _KNOWN]
    chosen = requested_sections(args, extra)
    parts: list[str] = []
    layout = [(n, t, b) for n, t, b, _ in SECTIONS]
    layout += [(n, n.capitalize(), lambda s: []) for n in extra]
    for name, title, builder in layout:
        if name not in chosen:
            continue
        fields = _with_providers(server, name, builder(server))
        parts.append(f"# {title}\r\n" + "".join(f"{k}:{v}\r\n" for k, v in fields))
    return "\r\n".join(parts).encode("utf-8", "surrogateescape")

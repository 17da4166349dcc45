"""One TCP client: bytes from the socket → parser → executor → encoded replies.

Lifecycle, in asyncio's callback grammar:
    made → data* → [eof] → lost
`connection_made` registers the client (or refuses it: maxclients, protected mode);
each `data_received` parses every complete request in the chunk, executes them in order
and writes all their replies with one transport.write; a ProtocolError answers its
error after the replies of the requests before it, then closes. Commands run
synchronously inside data_received, so no two commands ever interleave.

A blocking command that must wait (BLPOP on an empty list ...) answers the BLOCKED
sentinel: the loop stops there, later pipelined requests stay in the parser, and new
bytes are only buffered until server/blocking.py delivers the late reply; processing
then resumes on the next loop iteration, as Redis's processUnblockedClients does.

Output is never a reason to stop reading: a client may write a whole pipeline before it
reads any reply (redis-py's Pipeline.execute does), and pausing its input while its
replies wait would deadlock both sides. Redis keeps reading too; what bounds a client
that never reads is client-output-buffer-limit, as in Redis.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import TYPE_CHECKING, Any, Iterable

from protocol.replies import OK
from protocol.resp import ProtocolError, RequestParser, encode, encode_error
from server.blocking import BLOCKED
from server.context import ClientState, CommandContext

if TYPE_CHECKING:
    from server.executor import Executor
    from server.state import ServerState

log = logging.getLogger("emberkv.connection")

_OK_BYTES = b"+OK\r\n"
_BULK_REPLY_HEADERS = {n: b"$%d\r\n" % n for n in range(4096)}

# Word for word as Redis 7.0.15 sends it, "Setup a an" included: clients match on it.
PROTECTED_MODE_DENIED = (
    "DENIED Redis is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted "
    "from the loopback interface. If you want to connect from external computers to "
    "Redis you may adopt one of the following solutions: 1) Just disable protected mode "
    "sending the command 'CONFIG SET protected-mode no' from the loopback interface by "
    "connecting to Redis from the same host the server is running, however MAKE SURE "
    "Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to "
    "make this change permanent. 2) Alternatively you can just disable the protected "
    "mode by editing the Redis configuration file, and setting the protected mode option "
    "to 'no', and then restarting the server. 3) If you started the server manually just "
    "for testing, restart it with the '--protected-mode no' option. 4) Setup a an "
    "authentication password for the default user. NOTE: You only need to do one of the "
    "above things in order for the server to start accepting connections from the outside."
)


def _is_loopback(host: str) -> bool:
    return host.startswith("127.") or host in ("::1", "localhost") or host.startswith("::ffff:127.")


class ClientConnection(asyncio.Protocol):
    def __init__(self, server: "ServerState", executor: "Executor") -> None:
        self.server = server
        self.executor = executor
        self.transport: asyncio.Transport | None = None
        self.client: ClientState | None = None
        self.ctx: CommandContext | None = None
        self.parser: RequestParser | None = None
        self.is_closing = False
        self._in_batch = False
        self._held_pushes: list[bytes] = []
        self._batch_out: list[bytes] = []  # the replies of the batch being processed
        self._late_reply_suppressed = False  # CLIENT REPLY OFF/SKIP applied to a blocked command
        # When a pub/sub client's output passed the soft limit (loop time), or None.
        self._soft_limit_since: float | None = None

    # ------------------------------------------------------------------ asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        server = self.server
        config = server.config.values
        peer = transport.get_extra_info("peername")
        sock_name = transport.get_extra_info("sockname")
        address = _format_address(peer)
        sock = transport.get_extra_info("socket")
        fd = sock.fileno() if sock is not None else -1
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            _configure_socket(sock, config["tcp-keepalive"])
        server.stats.total_connections_received += 1
        if len(server.clients) >= config["maxclients"]:
            server.stats.rejected_connections += 1
            transport.write(encode_error("ERR max number of clients reached"))
            transport.close()
            return
        acl = server.acl
        if (config["protected-mode"] and "nopass" in acl.default_user.flags
                and peer and not _is_loopback(str(peer[0]))):
            server.stats.rejected_connections += 1
            transport.write(encode_error(PROTECTED_MODE_DENIED))
            transport.close()
            return
        client = ClientState(address, _format_address(sock_name), fd)
        client.user = acl.default_user
        client.has_logged_in = client.is_authenticated = acl.is_default_open
        client.update_command_filter()
        client.push = self.push
        client.close = self.close_soon
        client.deliver_late_reply = self._deliver_late_reply
        self.parser = RequestParser(config["proto-max-bulk-len"],
                                    config["client-query-buffer-limit"])
        self.parser.is_authenticated = client.is_authenticated
        client.query_buffer_bytes = lambda: self.parser.buffered_bytes if self.parser else 0
        client.output_buffer_bytes = transport.get_write_buffer_size
        self.client = client
        self.ctx = CommandContext(server, client)
        server.clients[client.id] = client

    def data_received(self, data: bytes) -> None:
        if self.is_closing:
            return
        client = self.client
        if client is None:
            return
        parser: RequestParser = self.parser  # type: ignore[assignment]
        self.server.stats.net_input_bytes += len(data)
        if client.blocked is not None:
            self._buffer_while_blocked(data)
            return
        out: list[bytes] = []
        execute = self.executor.execute
        bulk_header = _BULK_REPLY_HEADERS.get
        ctx = self.ctx
        held = self._held_pushes
        self._in_batch = True
        self._batch_out = out
        try:
            # An unpipelined client's chunk is one whole request: a list of one skips
            # the parser's buffering and generator.
            whole = parser.take_whole_request(data)
            requests: Iterable[list[bytes]]
            if whole is None:
                parser.feed(data)
                requests = parser.requests()
            else:
                requests = (whole,)
            for argv in requests:
                reply = execute(ctx, argv)
                if client.reply_mode != b"on" or client.skip_next_reply:
                    if self._reply_suppressed(argv):
                        if reply is BLOCKED:
                            self._late_reply_suppressed = True
                            break
                        continue
                kind = type(reply)
                if kind is bytes:
                    # Three pieces for the one join below: cheaper than %-formatting.
                    out.append(bulk_header(len(reply)) or b"$%d\r\n" % len(reply))
                    out.append(reply)
                    out.append(b"\r\n")
                elif reply is OK:
                    out.append(_OK_BYTES)
                elif kind is int:
                    out.append(b":%d\r\n" % reply)
                elif reply is BLOCKED:
                    break  # the rest waits in the parser until the client is served
                else:
                    out.append(encode(reply, client.protocol))
                if held:  # pushes made while this command ran go after its reply
                    out.extend(held)
                    held.clear()
                if client.close_after_reply:
                    self.is_closing = True
                    break
                if parser.is_authenticated is not client.is_authenticated:
                    parser.is_authenticated = client.is_authenticated
        except ProtocolError as error:
            if error.message is not None:
                out.append(encode_error("ERR " + error.message))
                log.info("Protocol error (%s) from client: id=%d addr=%s",
                         error.message, client.id, client.address)
            else:
                log.warning("Closing client that reached max query buffer length: id=%d addr=%s",
                            client.id, client.address)
            self.is_closing = True
        finally:
            self._in_batch = False
        if held:
            out.extend(held)
            held.clear()
        client.last_interaction_ms = self.server.keyspace.clock.ms
        self._write(out)
        if self.is_closing:
            gate = self.server.reply_gate
            if gate is None:
                self.transport.close()  # type: ignore[union-attr]
            else:
                gate.close(self.transport)  # after the replies it may still hold

    def eof_received(self) -> bool | None:
        gate = self.server.reply_gate
        if gate is None or self.transport is None:
            return None  # replies already went to the transport, which closes after them
        # Replies the AOF still holds go out first, as in Redis, which writes replies
        # before it gets to read the EOF behind their requests.
        self.is_closing = True
        gate.close(self.transport)
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self.is_closing = True
        client = self.client
        if client is not None:
            self.server.clients.pop(client.id, None)
            self._forget_client_state(client)
            if client.is_monitor:
                try:
                    self.server.monitors.remove(client)
                except ValueError:
                    pass
        self.client = None
        self.ctx = None
        self.parser = None

    def pause_writing(self) -> None:
        pass  # see the module docstring: reading goes on

    def resume_writing(self) -> None:
        pass

    # ------------------------------------------------------------------ helpers

    def _buffer_while_blocked(self, data: bytes) -> None:
        try:
            self.parser.feed(data)  # type: ignore[union-attr]
        except ProtocolError:
            log.warning("Closing client that reached max query buffer length: id=%d addr=%s",
                        self.client.id, self.client.address)  # type: ignore[union-attr]
            self.close_soon()

    def _deliver_late_reply(self, reply: Any) -> None:
        """A blocked command's reply (served, timed out or unblocked); the requests
        pipelined behind it run on the next loop iteration."""
        client = self.client
        if self.is_closing or client is None:
            return
        if self._late_reply_suppressed:
            self._late_reply_suppressed = False
        else:
            self._write([encode(reply, client.protocol)])
        asyncio.get_running_loop().call_soon(self._resume)

    def _resume(self) -> None:
        if not self.is_closing and self.client is not None and self.client.blocked is None:
            self.data_received(b"")

    def _forget_client_state(self, client: ClientState) -> None:
        """A closed connection leaves its transaction, watches, blocks and channels."""
        if client.blocked is not None:
            self.server.blocking.unblock(client.blocked)
        if client.watched:
            self.server.key_signals.unwatch_all(client)
        if client.is_subscribed:
            self.server.pubsub.drop_client(client)

    def _check_output_limit(self, client_class: str) -> None:
        """client-output-buffer-limit for the client's class (normal or pubsub): a
        client that does not read is dropped past the hard limit, or past the soft one
        for longer than its seconds, as Redis's checkClientOutputBufferLimits."""
        hard, soft, soft_seconds = self.server.config["client-output-buffer-limit"][client_class]
        pending = self.transport.get_write_buffer_size()  # type: ignore[union-attr]
        over = bool(hard) and pending >= hard
        if not over and soft and pending >= soft:
            now = asyncio.get_running_loop().time()
            if self._soft_limit_since is None:
                self._soft_limit_since = now
            elif now - self._soft_limit_since > soft_seconds:
                over = True
        elif not over:
            self._soft_limit_since = None
        if over:
            client = self.client
            log.warning("Client id=%d addr=%s scheduled to be closed ASAP for overcoming of "
                        "output buffer limits.", client.id, client.address)  # type: ignore
            self.is_closing = True
            self.transport.abort()  # type: ignore[union-attr]

    def _reply_suppressed(self, argv: list[bytes]) -> bool:
        """CLIENT REPLY OFF|SKIP: decide whether this command's reply is dropped."""
        client = self.client
        assert client is not None
        if client.skip_next_reply:
            client.skip_next_reply = False
            return True
        if client.reply_mode == b"skip":
            # The SKIP command itself is silent; it silences the next command too.
            client.reply_mode = b"on"
            client.skip_next_reply = True
            return True
        return client.reply_mode == b"off"

    def _write(self, out: list[bytes], after_command: bool = False) -> None:
        """Send replies, or with `after_command` a message that another client's
        running command caused (it waits for that command's log record)."""
        if not out or self.transport is None:
            return
        payload = out[0] if len(out) == 1 else b"".join(out)
        server = self.server
        server.stats.net_output_bytes += len(payload)
        gate = server.reply_gate
        if gate is None:
            self.transport.write(payload)
        elif after_command:
            # As Redis sends such a message after the fsync (server/output.py).
            gate.send_after_command(self.transport, payload)
        else:
            # The AOF is on: replies leave after the log is safe (server/output.py).
            gate.send(self.transport, payload)
        if self.client.is_subscribed:  # type: ignore[union-attr]
            self._check_output_limit("pubsub")
        elif server.limits_normal_output:
            self._check_output_limit("normal")

    def push(self, message: Any, before_reply: bool = False) -> None:
        """Send an out-of-band message (MONITOR lines, pub/sub messages)."""
        if self.is_closing or self.client is None or self.transport is None:
            return
        payload = encode(message, self.client.protocol)
        if self._in_batch:
            # This client's own command caused it. A MONITOR line goes after that
            # command's reply, which is not written yet; a message it published to
            # itself goes before (Redis 7.0 writes it while PUBLISH runs).
            if before_reply:
                self._batch_out.append(payload)
            else:
                self._held_pushes.append(payload)
            return
        self._write([payload], after_command=True)

    def close_soon(self) -> None:
        """CLIENT KILL and shutdown: drop the connection once pending output is written."""
        self.is_closing = True
        if self.transport is not None:
            self.transport.close()


def _format_address(address: Any) -> str:
    if not address:
        return ""
    if isinstance(address, tuple):
        host, port = address[0], address[1]
        return f"{host}:{port}"
    return str(address)


def _configure_socket(sock: socket.socket, keepalive_s: int) -> None:
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if keepalive_s > 0:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            if hasattr(socket, "TCP_KEEPIDLE"):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, keepalive_s)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, max(1, keepalive_s // 3))
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
    except OSError:
        pass


#!/usr/bin/env python3
"""Stand-in for xcbdaemon, the local XML-RPC daemon the HA scripts talk to.

Integration tests of ha-preflight's `xcbdaemon-rpc` check start this on a
loopback port in one of several modes: a healthy daemon, a daemon that
answers with a fault, and daemons that misbehave at the HTTP level (bad
XML, 500, endless or huge bodies, silence, slow bytes, entity expansion,
connection resets, interim 1xx replies, an unasked-for gzip body, a value nested 20,000
arrays deep). The client must
give a clear result for each within its timeout and never hang or buffer
without limit.

    python3 tests/xcbdaemon.py --host 127.0.0.1 --port N --mode MODE [--lifetime S]

A peer's xcbdaemon (peer-sequence) is the same server bound to a non-loopback
address, with --sequence.

The socket is bound before `ready PORT` is printed (--port 0 picks a free one), so a test can connect as soon
as it reads that line. The process always exits by itself after --lifetime
seconds, whatever its clients do. Standard library only.
"""

import argparse
import gzip
import json
import os
import socket
import socketserver
import struct
import sys
import threading
import time
import xmlrpc.client
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

FAULT_CODE = 42
FAULT_STRING = "xcbdaemon: cluster database locked"

HUGE_SIZE = 256 * 1024 * 1024
CHUNK = 64 * 1024

# A reply that stops in the middle of a value: not well-formed XML-RPC.
MALFORMED_BODY = (
    b'<?xml version="1.0"?><methodResponse><params><param>'
    b"<value><string>unterminated"
)
# A correct, small reply (what `xcb.ping` returns in ok mode).
PONG_BODY = xmlrpc.client.dumps(("pong",), methodresponse=True).encode()

# Errors that mean "the client went away": end the handler quietly.
GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


class QuietDisconnects:
    """Server mixin: a client that hangs up is normal here, not a traceback."""

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], GONE):
            super().handle_error(request, client_address)


# --- XML-RPC modes --------------------------------------------------------


class RequestHandler(SimpleXMLRPCRequestHandler):
    rpc_paths = ("/", "/RPC2")


class ThreadingXMLRPCServer(QuietDisconnects, socketserver.ThreadingMixIn,
                            SimpleXMLRPCServer):
    """SimpleXMLRPCServer, one thread per connection, so one stuck client
    cannot hold up the others."""

    daemon_threads = True
    allow_reuse_address = True


class FaultingXMLRPCServer(ThreadingXMLRPCServer):
    """Every call, whatever the method, is answered with the same fault."""

    def _dispatch(self, method, params):
        raise xmlrpc.client.Fault(FAULT_CODE, FAULT_STRING)


def make_xmlrpc_server(cls, addr):
    return cls(addr, requestHandler=RequestHandler, logRequests=False,
               allow_none=True)


def serve_ok(addr, drbd_text=None, drbd_struct=None, sequence=None, role=None):
    server = make_xmlrpc_server(ThreadingXMLRPCServer, addr)
    server.register_introspection_functions()
    server.register_multicall_functions()
    server.register_function(lambda: "pong", "xcb.ping")
    server.register_function(lambda x: x, "xcb.echo")
    # DRBD state as xcbdaemon would relay it: the file is read on every call, so a
    # test can change the state while the client waits.
    if drbd_text:
        server.register_function(lambda: open(drbd_text).read(), "drbd.status")
    if drbd_struct:
        server.register_function(lambda: json.load(open(drbd_struct)), "drbd.resources")
    # Replication state as a leader's xcbdaemon reports it: table name -> sequence
    # number (numbers past XML-RPC's 32-bit int go as strings, as xcbdaemon sends them).
    if sequence:
        server.register_function(lambda: json.load(open(sequence)), "xcb.sequence")
    if role is not None:
        server.register_function(lambda: role, "xcb.role")
    return server


def serve_fault(addr, **_):
    return make_xmlrpc_server(FaultingXMLRPCServer, addr)


# --- raw modes: exact bytes on a plain socket -----------------------------


def read_request(sock, limit=1 << 20):
    """Read one HTTP request (headers, then Content-Length bytes of body).

    Best effort: stops at EOF, after `limit` bytes or after 10 s of silence,
    because a raw mode must misbehave the same way whatever the client sent.
    """
    sock.settimeout(10)
    data = b""
    try:
        while b"\r\n\r\n" not in data and len(data) < limit:
            part = sock.recv(4096)
            if not part:
                return data
            data += part
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = min(int(value.strip() or 0), limit)
        while len(body) < length:
            part = sock.recv(4096)
            if not part:
                break
            body += part
    except (socket.timeout, ValueError):
        pass
    finally:
        sock.settimeout(None)
    return data


def http_head(status, headers):
    lines = [f"HTTP/1.0 {status}"] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class RawHandler(socketserver.BaseRequestHandler):
    """Reads the request, then calls `respond`; a vanished client is normal."""

    def handle(self):
        try:
            read_request(self.request)
            self.respond(self.request)
        except GONE:
            pass

    def respond(self, sock):
        raise NotImplementedError


class MalformedHandler(RawHandler):
    def respond(self, sock):
        sock.sendall(http_head("200 OK", [("Content-Type", "text/xml"),
                                          ("Content-Length", len(MALFORMED_BODY))]))
        sock.sendall(MALFORMED_BODY)


class Http500Handler(RawHandler):
    BODY = b"xcbdaemon: internal error\n"

    def respond(self, sock):
        sock.sendall(http_head("500 Internal Server Error",
                               [("Content-Type", "text/plain"),
                                ("Content-Length", len(self.BODY))]))
        sock.sendall(self.BODY)


class HugeHandler(RawHandler):
    """A 256 MiB reply that looks valid, streamed in 64 KiB chunks."""

    send_length = True
    PREFIX = (b'<?xml version="1.0"?><methodResponse><params><param>'
              b"<value><string>")
    SUFFIX = b"</string></value></param></params></methodResponse>\n"

    def respond(self, sock):
        headers = [("Content-Type", "text/xml")]
        if self.send_length:
            headers.append(("Content-Length", HUGE_SIZE))
        sock.sendall(http_head("200 OK", headers))
        sock.sendall(self.PREFIX)
        filler = b"a" * CHUNK
        left = HUGE_SIZE - len(self.PREFIX) - len(self.SUFFIX)
        while left > 0:
            n = min(left, CHUNK)
            sock.sendall(filler[:n])
            left -= n
        sock.sendall(self.SUFFIX)


class HugeNoLengthHandler(HugeHandler):
    send_length = False


class SilentHandler(RawHandler):
    """Never sends a byte; holds the connection until the client closes it
    or the process ends."""

    def respond(self, sock):
        while sock.recv(4096):
            pass


class DribbleHandler(RawHandler):
    """A status line, then one header byte every 100 ms, never a blank line."""

    def respond(self, sock):
        sock.sendall(b"HTTP/1.0 200 OK\r\n")
        for byte in b"X-Dribble: ":
            sock.sendall(bytes([byte]))
            time.sleep(0.1)
        while True:
            sock.sendall(b"a")
            time.sleep(0.1)


class SlowBodyHandler(RawHandler):
    """Honest headers, then the correct small body one byte per 500 ms."""

    def respond(self, sock):
        sock.sendall(http_head("200 OK", [("Content-Type", "text/xml"),
                                          ("Content-Length", len(PONG_BODY))]))
        for byte in PONG_BODY:
            sock.sendall(bytes([byte]))
            time.sleep(0.5)


class EntitiesHandler(RawHandler):
    """A "billion laughs" reply: ten levels of entities, each ten of the one below,
    so that a parser that expands internal entities builds 10^10 copies of "lol"."""

    def respond(self, sock):
        levels = ['<!ENTITY lol0 "lol">'] + [
            f'<!ENTITY lol{i} "{"".join(f"&lol{i - 1};" for _ in range(10))}">'
            for i in range(1, 10)
        ]
        body = ('<?xml version="1.0"?>\n<!DOCTYPE methodResponse [\n'
                + "\n".join(levels)
                + "\n]>\n<methodResponse><params><param><value><string>&lol9;"
                  "</string></value></param></params></methodResponse>\n").encode()
        sock.sendall(http_head("200 OK", [("Content-Type", "text/xml"),
                                          ("Content-Length", len(body))]))
        sock.sendall(body)


class DeepHandler(RawHandler):
    """A well-formed reply whose value is 20,000 arrays deep: a parser that recurses per
    value overflows its stack on it. Written as bytes, since xmlrpc.client refuses to
    build it (RecursionError)."""

    DEPTH = 20000

    def respond(self, sock):
        open_ = b"<value><array><data>" * self.DEPTH
        close = b"</data></array></value>" * self.DEPTH
        body = (b'<?xml version="1.0"?><methodResponse><params><param>'
                + open_ + close + b"</param></params></methodResponse>\n")
        sock.sendall(http_head("200 OK", [("Content-Type", "text/xml"),
                                          ("Content-Length", len(body))]))
        sock.sendall(body)


def reset(sock):
    """Closes with an RST instead of a FIN (SO_LINGER on, zero seconds)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class ResetHandler(RawHandler):
    """Reads the request, then resets the connection without a byte of reply."""

    def respond(self, sock):
        reset(sock)


class ResetMidBodyHandler(RawHandler):
    """Honest headers and half the body, then a reset."""

    def respond(self, sock):
        sock.sendall(http_head("200 OK", [("Content-Type", "text/xml"),
                                          ("Content-Length", len(PONG_BODY))]))
        sock.sendall(PONG_BODY[: len(PONG_BODY) // 2])
        time.sleep(0.05)
        reset(sock)


class ContinueHandler(RawHandler):
    """Interim replies first (100 Continue, unasked, and 103 Early Hints), then a
    correct 200 with the method list: RFC 9110 says a client skips 1xx replies."""

    BODY = xmlrpc.client.dumps((["system.listMethods", "xcb.ping"],),
                               methodresponse=True).encode()

    def respond(self, sock):
        sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </RPC2>; rel=preload\r\n\r\n")
        sock.sendall(http_head("200 OK", [("Content-Type", "text/xml"),
                                          ("Content-Length", len(self.BODY))]))
        sock.sendall(self.BODY)


class GzipHandler(RawHandler):
    """A correct reply, gzip-compressed with Content-Encoding: gzip although the
    client sent no Accept-Encoding (SimpleXMLRPCServer compresses only when asked)."""

    def respond(self, sock):
        body = gzip.compress(ContinueHandler.BODY)
        sock.sendall(http_head("200 OK", [("Content-Type", "text/xml"),
                                          ("Content-Encoding", "gzip"),
                                          ("Content-Length", len(body))]))
        sock.sendall(body)


class RawServer(QuietDisconnects, socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


RAW_MODES = {
    "malformed": MalformedHandler,
    "http500": Http500Handler,
    "huge": HugeHandler,
    "huge-nolength": HugeNoLengthHandler,
    "silent": SilentHandler,
    "dribble": DribbleHandler,
    "slow-body": SlowBodyHandler,
    "entities": EntitiesHandler,
    "reset": ResetHandler,
    "reset-mid-body": ResetMidBodyHandler,
    "continue": ContinueHandler,
    "gzip": GzipHandler,
    "deep": DeepHandler,
}
XMLRPC_MODES = {"ok": serve_ok, "fault": serve_fault}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", required=True,
                        choices=list(XMLRPC_MODES) + list(RAW_MODES))
    parser.add_argument("--lifetime", type=float, default=60.0,
                        help="seconds to serve before exiting (default 60)")
    parser.add_argument("--drbd-text", metavar="FILE",
                        help="ok mode: drbd.status() returns this file's text")
    parser.add_argument("--drbd-struct", metavar="JSON",
                        help="ok mode: drbd.resources() returns this JSON file's object")
    parser.add_argument("--sequence", metavar="JSON",
                        help="ok mode: xcb.sequence() returns this JSON file's object")
    parser.add_argument("--role", metavar="NAME",
                        help="ok mode: xcb.role() returns NAME")
    args = parser.parse_args()

    addr = (args.host, args.port)
    if args.mode in XMLRPC_MODES:
        server = XMLRPC_MODES[args.mode](addr, drbd_text=args.drbd_text,
                                         drbd_struct=args.drbd_struct,
                                         sequence=args.sequence, role=args.role)
    else:
        server = RawServer(addr, RAW_MODES[args.mode])

    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("ready", server.server_address[1], flush=True)
    time.sleep(args.lifetime)
    # os._exit, not shutdown(): handler threads may be blocked in sendall or
    # recv on a client that stopped reading, and the lifetime must hold anyway.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()

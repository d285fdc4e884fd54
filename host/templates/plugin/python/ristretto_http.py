"""Blocking HTTP requests through ristretto (wasi:http/outgoing-handler@0.2).

ristretto sends the request for the plugin and lets it out only to the hosts in the plugin
entry's `allow.http`; a denied request raises `HttpError` saying so.
"""
import json
from urllib.parse import urlsplit

from componentize_py_types import Err, Ok
from wit_world.imports import outgoing_handler, streams
from wit_world.imports import wasi_http_types as http

# The most bytes one blocking write may pass (wasi:io/streams).
WRITE_CHUNK = 4096
READ_CHUNK = 64 * 1024


class HttpError(Exception):
    """A request that did not get an answer (denied, unreachable, timed out, ...)."""


class Response:
    """A complete answer: status, headers (lower-case names) and body."""

    def __init__(self, status: int, headers: dict, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def ok(self) -> bool:
        """True for a 2xx status."""
        return 200 <= self.status < 300

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


def get(url: str, headers: dict = None) -> Response:
    """GET `url`."""
    return request("GET", url, headers or {}, None)


def post_json(url: str, value, headers: dict = None) -> Response:
    """POST `value` as JSON to `url`."""
    all_headers = {"content-type": "application/json"}
    all_headers.update(headers or {})
    return request("POST", url, all_headers, json.dumps(value).encode())


def request(method: str, url: str, headers: dict, body) -> Response:
    """Sends one request and reads the whole answer."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise HttpError(f"not an http(s) URL: {url}")
    fields = http.Fields.from_list([(k, v.encode()) for k, v in headers.items()])
    outgoing = http.OutgoingRequest(fields)
    outgoing.set_method(_method(method))
    outgoing.set_scheme(http.Scheme_Https() if parts.scheme == "https" else http.Scheme_Http())
    outgoing.set_authority(parts.netloc)
    outgoing.set_path_with_query((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
    outgoing_body = outgoing.body()
    if body:
        with outgoing_body.write() as stream:
            for start in range(0, len(body), WRITE_CHUNK):
                stream.blocking_write_and_flush(body[start:start + WRITE_CHUNK])
    http.OutgoingBody.finish(outgoing_body, None)
    try:
        future = outgoing_handler.handle(outgoing, None)
    except Err as error:
        raise HttpError(_describe(error.value)) from None
    with future:
        with future.subscribe() as ready:
            ready.block()
        answer = future.get()
    if answer is None or isinstance(answer, Err) or isinstance(answer.value, Err):
        reason = "no answer" if answer is None or isinstance(answer, Err) else _describe(answer.value.value)
        raise HttpError(f"{method} {url}: {reason}")
    return _read(answer.value.value)


def _read(response) -> Response:
    with response:
        status = response.status()
        with response.headers() as fields:
            headers = {k.lower(): v.decode("utf-8", "replace") for k, v in fields.entries()}
        incoming = response.consume()
        chunks = []
        with incoming.stream() as stream:
            while True:
                try:
                    chunks.append(stream.blocking_read(READ_CHUNK))
                except Err as error:
                    if isinstance(error.value, streams.StreamError_Closed):
                        break
                    raise HttpError("the answer's body broke off") from None
        http.IncomingBody.finish(incoming)
    return Response(status, headers, b"".join(chunks))


def _method(name: str):
    known = {
        "GET": http.Method_Get, "HEAD": http.Method_Head, "POST": http.Method_Post,
        "PUT": http.Method_Put, "DELETE": http.Method_Delete, "PATCH": http.Method_Patch,
        "OPTIONS": http.Method_Options,
    }
    return known[name]() if name in known else http.Method_Other(name)


def _describe(code) -> str:
    if isinstance(code, http.ErrorCode_HttpRequestDenied):
        return "request denied by ristretto: the host is not in this plugin's allow.http"
    if isinstance(code, http.ErrorCode_ConnectionRefused):
        return "connection refused"
    if isinstance(code, http.ErrorCode_InternalError) and code.value:
        return code.value
    return type(code).__name__.removeprefix("ErrorCode_")

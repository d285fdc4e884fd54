"""Runs moto's WSGI app in-process on a threaded werkzeug server, wrapped by the
emulator middleware (account mapping, call log, control API)."""
from __future__ import annotations

import io
import logging
import os
import signal
import sys
import threading
import time
from typing import Any

log = logging.getLogger("ristretto_emulator")


class EmulatorApp:
    """WSGI middleware in front of moto's DomainDispatcherApplication."""

    def __init__(self, moto_app: Any):
        self.moto_app = moto_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        from . import accounts, answers, calls, control, replay, shape_check, state, throttling

        path = environ.get("PATH_INFO", "")
        if path.startswith("/_emulator"):
            return control.handle(environ, start_response)

        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length:
            body = environ["wsgi.input"].read(length)
        elif environ.get("wsgi.input_terminated"):  # chunked request body, de-chunked by werkzeug
            body = environ["wsgi.input"].read()
        else:
            body = b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))

        if path.startswith("/moto-api"):
            with state.LOCK:
                if path.rstrip("/") == "/moto-api/reset" and environ.get("REQUEST_METHOD") == "POST":
                    state.reset()
                    calls.clear()
                    throttling.clear()
                return self.moto_app(environ, start_response)

        access_key = accounts.parse_scope(environ)[0]
        account, region, service = accounts.apply(environ)
        if path.startswith("/service/GraniteServiceVersion20100801/operation/"):
            from . import cloudwatch_cbor

            with state.LOCK:
                return cloudwatch_cbor.handle(environ, start_response, body, account, region)
        operation = calls.operation_of(environ, body, service)
        # AWS's token buckets (throttling.py) come first, as at AWS's front door: a throttled
        # request does nothing, and it waits for no other request
        if not throttling.admit(account, region or state.DEFAULT_REGION, service, operation):
            now = time.time()
            calls.record({"account": account, "access_key": access_key, "region": region, "service": service,
                          "operation": operation, "start": now, "end": now, "status": 400, "throttled": True})
            if os.environ.get("RISTRETTO_EMULATOR_VERBOSE") == "1":
                log.info("%s %s %s/%s -> 400 ThrottlingException", account, region, service, operation)
            return throttling.throttled_answer(start_response)
        status_holder: dict[str, int] = {}

        # start_response is deferred until the body is final (answers.tidy may rewrite it)
        written: list[bytes] = []

        def _start(status: str, headers: list, exc_info: Any = None) -> Any:
            status_holder["status"] = int(status.split(" ", 1)[0])
            status_holder["line"] = status
            status_holder["headers"] = list(headers)
            status_holder["exc_info"] = exc_info
            return written.append

        started = time.time()
        try:
            with state.LOCK:
                armed = replay.find(account, region, operation, body)
                if armed is not None:
                    chunks = replay.respond(armed, _start)
                    status_holder["replayed"] = True
                else:
                    result = self.moto_app(environ, _start)
                    # materialise the body under the lock: moto builds it lazily
                    chunks = written + list(result)
                    if hasattr(result, "close"):
                        result.close()
                    fixed = answers.tidy(service, operation, status_holder.get("status", 500), b"".join(chunks))
                    if fixed is not None:
                        chunks = [fixed]
                        status_holder["headers"] = answers.with_length(status_holder.get("headers", []), len(fixed))
            start_response(status_holder["line"], status_holder["headers"], status_holder.get("exc_info"))
        except Exception:
            status_holder.setdefault("status", 500)
            raise
        finally:
            entry = {
                "account": account,
                "access_key": access_key,
                "region": region,
                "service": service,
                "operation": operation,
                "start": started,
                "end": time.time(),
                "status": status_holder.get("status", 500),
            }
            request = calls.request_parameters(operation, body)
            if request is not None:
                entry["request"] = request
            calls.record(entry)
        if shape_check.enabled() and not status_holder.get("replayed"):
            shape_check.check_answer(
                service, operation, account, region,
                status_holder.get("status", 500), status_holder.get("headers", []), chunks,
            )
        if os.environ.get("RISTRETTO_EMULATOR_VERBOSE") == "1":
            log.info("%s %s %s/%s -> %s", account, region, service, operation, status_holder.get("status"))
        return chunks


def build_app() -> EmulatorApp:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from . import patches

    patches.install()
    return EmulatorApp(DomainDispatcherApplication(create_backend_app))


def main(argv: list[str]) -> int:
    verbose = os.environ.get("RISTRETTO_EMULATOR_VERBOSE") == "1"
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO if verbose else logging.WARNING,
        format="[emulator] %(message)s",
    )
    logging.getLogger("werkzeug").setLevel(logging.INFO if verbose else logging.ERROR)
    usage = "usage: python -m ristretto_emulator PORT [--throttling] [--throttling-scale X]"
    args = argv[1:]
    if not args or not args[0].isdigit():
        print(usage, file=sys.stderr)
        return 2
    port = int(args.pop(0))
    from . import throttling

    while args:
        arg = args.pop(0)
        if arg == "--throttling":
            throttling.configure(True, None)
        elif arg == "--throttling-scale" and args:
            try:
                throttling.configure(None, throttling.parse_scale(args.pop(0)))
            except ValueError as exc:
                print(f"[emulator] {exc}", file=sys.stderr)
                return 2
        else:
            print(usage, file=sys.stderr)
            return 2
    host = os.environ.get("RISTRETTO_EMULATOR_HOST", "127.0.0.1")

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    class Handler(MotoRequestHandler):
        def log_request(self, code: Any = "-", size: Any = "-") -> None:
            if verbose:
                super().log_request(code, size)

    app = build_app()
    try:
        server = make_server(host, port, app, threaded=True, request_handler=Handler)
    except OSError as exc:
        print(f"[emulator] cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        return 1
    server.daemon_threads = True

    def _stop(signum: int, _frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(f"[emulator] listening on http://{host}:{port}", file=sys.stderr, flush=True)
    cfg = throttling.settings()
    if cfg["enabled"]:
        print(f"[emulator] ECS request throttling on (scale {cfg['scale']:g})", file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    print("[emulator] stopped", file=sys.stderr, flush=True)
    return 0

"""Local stand-ins for the demo (stdlib only, 127.0.0.1): a Slack incoming-webhook sink that
prints each Block Kit message it receives, and an app health endpoint for the HTTP gate
(`/health` healthy, `/broken` failing).
Usage: python3 scripts/demo-servers.py SLACK_PORT HEALTH_PORT (stops on SIGTERM)."""
import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Slack(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        try:
            message = json.loads(body)
            header = message["blocks"][0]["text"]["text"]
            fields = ", ".join(f["text"].replace("*", "").replace("\n", ": ") for f in message["blocks"][1]["fields"])
            print(f"  [slack {message.get('channel')}] {header} | {message['text']} | {fields}", flush=True)
            self.send_response(200)
            reply = b"ok"
        except (ValueError, KeyError, IndexError):
            self.send_response(400)
            reply = b"invalid_payload"
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


class Health(BaseHTTPRequestHandler):
    """`/health` answers 200 ok; `/broken` answers 503 (a release whose checks fail)."""
    probes = 0

    def do_GET(self):
        Health.probes += 1
        broken = self.path.startswith("/broken")
        reply = b'{"status": "down"}' if broken else b'{"status": "ok"}'
        self.send_response(503 if broken else 200)
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)
        outcome = "503 down" if broken else "200 ok"
        print(f"  [health] probe {Health.probes} {self.path}: {outcome}", flush=True)

    def log_message(self, *args):
        pass


def main():
    servers = [ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Slack),
               ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Health)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.pause()


if __name__ == "__main__":
    main()

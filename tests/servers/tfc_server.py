"""A small Terraform Cloud / Enterprise API server for the `remote://` tfstate tests.

It serves, over HTTPS on 127.0.0.1, the part of the API a state reader and a state writer use,
in the shapes of HashiCorp's API documentation:

- Workspaces API (developer.hashicorp.com/terraform/cloud-docs/api-docs/workspaces):
  `POST /api/v2/organizations/:organization_name/workspaces` (create) and
  `GET /api/v2/organizations/:organization_name/workspaces/:name` (show).
- State Versions API (developer.hashicorp.com/terraform/cloud-docs/api-docs/state-versions):
  `POST /api/v2/workspaces/:workspace_id/state-versions` (create, with `serial`, `md5` and the
  base64 `state`) and `GET /api/v2/workspaces/:workspace_id/current-state-version`, whose
  `hosted-state-download-url` points at `/_archivist/:id` here, a URL fetched without the
  token as Terraform Cloud's signed archivist URLs are.

Every /api/v2 request needs `Authorization: Bearer TOKEN`; otherwise 401 with a JSON:API
`errors` document, as Terraform Cloud answers. Unknown workspaces, and workspaces without a
state version, are 404. Unlike Terraform Cloud, creating a state version does not require the
workspace to be locked.

Usage: python tfc_server.py --token TOKEN --dir DIR
Writes DIR/ca.pem (the CA that signed the server's certificate for 127.0.0.1), then prints
`listening on https://127.0.0.1:PORT` and serves until killed.
"""

import argparse
import base64
import datetime
import hashlib
import http.server
import ipaddress
import json
import os
import re
import ssl
import sys
import threading
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def make_certificates(directory):
    """A CA and a server certificate for 127.0.0.1 it signed; returns (cert, key) paths."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ristretto test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    with open(os.path.join(directory, "ca.pem"), "wb") as f:
        f.write(ca.public_bytes(pem))
    cert_path = os.path.join(directory, "server.pem")
    key_path = os.path.join(directory, "server.key")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(pem))
    with open(key_path, "wb") as f:
        f.write(
            key.private_bytes(
                pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return cert_path, key_path


class Store:
    """Organizations' workspaces and their state versions, in memory."""

    def __init__(self):
        self.lock = threading.Lock()
        self.workspaces = {}  # (organization, name) -> workspace id
        self.current = {}  # workspace id -> state version id
        self.states = {}  # state version id -> (serial, bytes)
        self.next_id = 0

    def new_id(self, prefix):
        self.next_id += 1
        return f"{prefix}-{self.next_id:016d}"


def errors(status, title, detail=None):
    error = {"status": str(status), "title": title}
    if detail:
        error["detail"] = detail
    return status, {"errors": [error]}


class Handler(http.server.BaseHTTPRequestHandler):
    store = None
    token = None
    base_url = None

    def log_message(self, format, *args):
        sys.stderr.write("tfc_server: " + (format % args) + "\n")

    def reply(self, status, document=None, body=None, content_type="application/vnd.api+json"):
        if document is not None:
            body = json.dumps(document).encode()
        body = body or b""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def authorized(self):
        return self.headers.get("Authorization") == f"Bearer {self.token}"

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def workspace_document(self, organization, name, workspace_id):
        return {
            "data": {
                "id": workspace_id,
                "type": "workspaces",
                "attributes": {"name": name},
                "relationships": {
                    "organization": {"data": {"id": organization, "type": "organizations"}}
                },
            }
        }

    def state_version_document(self, version_id):
        serial, _ = self.store.states[version_id]
        return {
            "data": {
                "id": version_id,
                "type": "state-versions",
                "attributes": {
                    "serial": serial,
                    "status": "finalized",
                    "hosted-state-download-url": f"{self.base_url}/_archivist/{version_id}",
                },
            }
        }

    def do_GET(self):
        self.path = urllib.parse.unquote(self.path)
        match = re.fullmatch(r"/_archivist/([\w-]+)", self.path)
        if match:
            with self.store.lock:
                state = self.store.states.get(match.group(1))
            if state is None:
                return self.reply(404, body=b"not found", content_type="text/plain")
            return self.reply(200, body=state[1], content_type="application/json")
        if not self.authorized():
            return self.reply(*errors(401, "unauthorized"))
        with self.store.lock:
            match = re.fullmatch(r"/api/v2/organizations/([^/]+)/workspaces/([^/]+)", self.path)
            if match:
                organization, name = match.groups()
                workspace_id = self.store.workspaces.get((organization, name))
                if workspace_id is None:
                    return self.reply(*errors(404, "not found"))
                return self.reply(200, self.workspace_document(organization, name, workspace_id))
            match = re.fullmatch(r"/api/v2/workspaces/([^/]+)/current-state-version", self.path)
            if match:
                version_id = self.store.current.get(match.group(1))
                if version_id is None:
                    return self.reply(*errors(404, "not found"))
                return self.reply(200, self.state_version_document(version_id))
        return self.reply(*errors(404, "not found"))

    def do_POST(self):
        if not self.authorized():
            return self.reply(*errors(401, "unauthorized"))
        self.path = urllib.parse.unquote(self.path)
        attributes = self.body().get("data", {}).get("attributes", {})
        with self.store.lock:
            match = re.fullmatch(r"/api/v2/organizations/([^/]+)/workspaces", self.path)
            if match:
                organization, name = match.group(1), attributes.get("name")
                if not name or (organization, name) in self.store.workspaces:
                    return self.reply(*errors(422, "invalid attribute", "Name has already been taken"))
                workspace_id = self.store.new_id("ws")
                self.store.workspaces[(organization, name)] = workspace_id
                return self.reply(201, self.workspace_document(organization, name, workspace_id))
            match = re.fullmatch(r"/api/v2/workspaces/([^/]+)/state-versions", self.path)
            if match:
                workspace_id = match.group(1)
                if workspace_id not in self.store.workspaces.values():
                    return self.reply(*errors(404, "not found"))
                state = base64.b64decode(attributes.get("state", ""))
                if hashlib.md5(state).hexdigest() != attributes.get("md5"):
                    return self.reply(*errors(422, "invalid attribute", "md5 does not match state"))
                version_id = self.store.new_id("sv")
                self.store.states[version_id] = (attributes.get("serial"), state)
                self.store.current[workspace_id] = version_id
                return self.reply(201, self.state_version_document(version_id))
        return self.reply(*errors(404, "not found"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--token", required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    cert, key = make_certificates(args.dir)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    Handler.store = Store()
    Handler.token = args.token
    Handler.base_url = f"https://127.0.0.1:{port}"
    print(f"listening on {Handler.base_url}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

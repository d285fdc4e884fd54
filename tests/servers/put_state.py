"""Uploads a Terraform state to a test server with a client independent of ristretto.

  put_state.py azure CONNECTION_STRING CONTAINER BLOB FILE
      Azure's own SDK (azure-storage-blob) against Azurite; creates the container.
  put_state.py azure-sas CONNECTION_STRING CONTAINER BLOB FILE
      Prints a read-only shared access signature for the blob (FILE is not read).
  put_state.py gcs ENDPOINT BUCKET OBJECT FILE
      The Cloud Storage JSON API (buckets.insert, objects.insert with uploadType=media) against
      gcp-storage-emulator; creates the bucket.
  put_state.py tfc BASE_URL CA_FILE TOKEN ORGANIZATION WORKSPACE FILE
      Terraform Cloud's Workspaces and State Versions APIs against tests/servers/tfc_server.py;
      creates the workspace.
  put_state.py tfc-workspace BASE_URL CA_FILE TOKEN ORGANIZATION WORKSPACE FILE
      Only creates the workspace (FILE is not read).
"""

import base64
import hashlib
import json
import ssl
import sys
import urllib.parse
import urllib.request


def request(method, url, body=None, headers=None, context=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(req, context=context) as response:
        return json.loads(response.read() or b"{}")


def azure(connection_string, container, blob, path):
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(connection_string)
    client = service.get_container_client(container)
    if not client.exists():
        client.create_container()
    with open(path, "rb") as f:
        client.upload_blob(blob, f, overwrite=True)


def azure_sas(connection_string, container, blob, _path):
    import datetime
    from azure.storage.blob import BlobSasPermissions, BlobServiceClient, generate_blob_sas

    service = BlobServiceClient.from_connection_string(connection_string)
    print(generate_blob_sas(
        service.account_name, container, blob,
        account_key=service.credential.account_key,
        permission=BlobSasPermissions(read=True),
        expiry=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1),
    ))


def gcs(endpoint, bucket, name, path):
    json_headers = {"Content-Type": "application/json"}
    request("POST", f"{endpoint}/storage/v1/b?project=test",
            json.dumps({"name": bucket}).encode(), json_headers)
    query = urllib.parse.urlencode({"uploadType": "media", "name": name})
    with open(path, "rb") as f:
        request("POST", f"{endpoint}/upload/storage/v1/b/{bucket}/o?{query}", f.read(),
                {"Content-Type": "application/octet-stream"})


def tfc_workspace(base_url, ca_file, token, organization, workspace, _path):
    """Creates the workspace; returns its id, the TLS context and the API headers."""
    context = ssl.create_default_context(cafile=ca_file)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/vnd.api+json"}
    created = request(
        "POST", f"{base_url}/api/v2/organizations/{organization}/workspaces",
        json.dumps({"data": {"type": "workspaces", "attributes": {"name": workspace}}}).encode(),
        headers, context)
    return created["data"]["id"], context, headers


def tfc(base_url, ca_file, token, organization, workspace, path):
    workspace_id, context, headers = tfc_workspace(
        base_url, ca_file, token, organization, workspace, path)
    with open(path, "rb") as f:
        state = f.read()
    attributes = {
        "serial": json.loads(state).get("serial", 1),
        "md5": hashlib.md5(state).hexdigest(),
        "state": base64.b64encode(state).decode(),
    }
    request(
        "POST", f"{base_url}/api/v2/workspaces/{workspace_id}/state-versions",
        json.dumps({"data": {"type": "state-versions", "attributes": attributes}}).encode(),
        headers, context)


if __name__ == "__main__":
    {"azure": azure, "azure-sas": azure_sas, "gcs": gcs, "tfc": tfc,
     "tfc-workspace": tfc_workspace}[sys.argv[1]](*sys.argv[2:])

"""Account and region resolution for incoming AWS requests.

An access key id of the form ``AKIA111111111111`` (4 letters + 12 digits) runs
the request in account ``111111111111``; moto's own ``x-moto-account-id``
header still wins when present; anything else uses 123456789012."""
from __future__ import annotations

import re
from typing import Any

from . import state

ACCESS_KEY_ACCOUNT = re.compile(r"^[A-Z]{4}(\d{12})$")
CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")


def parse_scope(environ: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(access key id, region, signing service) from the SigV4 Authorization header."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    m = CREDENTIAL.search(auth)
    if m:
        return m.group(1), m.group(3), m.group(4)
    qs = environ.get("QUERY_STRING", "")
    m = re.search(r"X-Amz-Credential=([^&]+)", qs)
    if m:
        from urllib.parse import unquote

        parts = unquote(m.group(1)).split("/")
        if len(parts) >= 5:
            return parts[0], parts[2], parts[3]
    return None, None, None


def account_for_key(access_key: str | None) -> str | None:
    if not access_key:
        return None
    m = ACCESS_KEY_ACCOUNT.match(access_key)
    return m.group(1) if m else None


def apply(environ: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """Sets the moto account header from the access key when needed.

    Returns (account, region, service) as seen by the call log."""
    key, region, service = parse_scope(environ)
    explicit = environ.get("HTTP_X_MOTO_ACCOUNT_ID")
    if explicit:
        return explicit, region, service
    account = account_for_key(key)
    if account:
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = account
        return account, region, service
    if key:
        # assumed-role keys issued by moto's STS map to their own account
        try:
            from moto.iam.models import get_account_id_from

            return get_account_id_from(key), region, service
        except Exception:  # noqa: BLE001
            pass
    return state.DEFAULT_ACCOUNT, region, service

"""CloudWatch over Smithy RPCv2 CBOR, which current AWS SDKs (the Rust one included) use and
moto 5.2.5 does not speak: DescribeAlarms is answered from moto's own CloudWatch state (alarms
created with PutMetricAlarm and moved with SetAlarmState through boto3, which uses the query
protocol moto does speak). Includes a minimal CBOR codec (maps, arrays, strings, numbers)."""
from __future__ import annotations

import struct
from typing import Any

PREFIX = "/service/GraniteServiceVersion20100801/operation/"


def decode(data: bytes) -> Any:
    value, _ = _decode(data, 0)
    return value


def _length(data: bytes, pos: int, info: int) -> tuple[int | None, int]:
    if info < 24:
        return info, pos
    if info == 31:
        return None, pos
    size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
    return int.from_bytes(data[pos:pos + size], "big"), pos + size


def _decode(data: bytes, pos: int) -> tuple[Any, int]:
    initial = data[pos]
    major, info = initial >> 5, initial & 0x1F
    pos += 1
    if major == 7:
        if info == 20:
            return False, pos
        if info == 21:
            return True, pos
        if info in (22, 23):
            return None, pos
        if info == 25:
            return struct.unpack(">e", data[pos:pos + 2])[0], pos + 2
        if info == 26:
            return struct.unpack(">f", data[pos:pos + 4])[0], pos + 4
        if info == 27:
            return struct.unpack(">d", data[pos:pos + 8])[0], pos + 8
        raise ValueError(f"unsupported simple value {info}")
    length, pos = _length(data, pos, info)
    if major == 0:
        return length, pos
    if major == 1:
        return -1 - (length or 0), pos
    if major == 6:
        return _decode(data, pos)
    if major in (2, 3):
        if length is None:
            chunks = []
            while data[pos] != 0xFF:
                chunk, pos = _decode(data, pos)
                chunks.append(chunk)
            return ("" if major == 3 else b"").join(chunks), pos + 1
        raw = data[pos:pos + length]
        return (raw.decode() if major == 3 else raw), pos + length
    if major == 4:
        items = []
        while (length is None and data[pos] != 0xFF) or (length is not None and len(items) < length):
            item, pos = _decode(data, pos)
            items.append(item)
        return items, pos + (1 if length is None else 0)
    if major == 5:
        result = {}
        while (length is None and data[pos] != 0xFF) or (length is not None and len(result) < length):
            key, pos = _decode(data, pos)
            result[key], pos = _decode(data, pos)
        return result, pos + (1 if length is None else 0)
    raise ValueError(f"unsupported major type {major}")


def _head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([major << 5 | length])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if length < 1 << (8 * size):
            return bytes([major << 5 | info]) + length.to_bytes(size, "big")
    raise ValueError("too long")


def encode(value: Any) -> bytes:
    if value is None:
        return b"\xf6"
    if isinstance(value, bool):
        return b"\xf5" if value else b"\xf4"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, str):
        raw = value.encode()
        return _head(3, len(raw)) + raw
    if isinstance(value, (list, tuple)):
        return _head(4, len(value)) + b"".join(encode(v) for v in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(encode(k) + encode(v) for k, v in value.items())
    raise TypeError(f"cannot encode {type(value)}")


def handle(environ: dict[str, Any], start_response: Any, body: bytes, account: str, region: str) -> list[bytes]:
    """Answers a CBOR CloudWatch request (DescribeAlarms only)."""
    operation = environ.get("PATH_INFO", "")[len(PREFIX):]
    headers = [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
    if operation != "DescribeAlarms":
        payload = encode({"__type": "UnknownOperationException", "message": f"{operation} is not emulated over CBOR"})
        start_response("400 Bad Request", headers + [("x-amzn-query-error", "UnknownOperation;Sender")])
        return [payload]
    from moto.cloudwatch.models import cloudwatch_backends

    request = decode(body) if body else {}
    backend = cloudwatch_backends[account][region]
    names = request.get("AlarmNames") or []
    alarms = backend.get_alarms_by_alarm_names(names) if names else backend.describe_alarms()
    prefix = request.get("AlarmNamePrefix")
    result = []
    for alarm in alarms:
        if prefix and not alarm.name.startswith(prefix):
            continue
        result.append({
            "AlarmName": alarm.name,
            "AlarmArn": alarm.alarm_arn,
            "StateValue": alarm.state_value,
            "StateReason": alarm.state_reason or "",
        })
    start_response("200 OK", headers)
    return [encode({"MetricAlarms": result})]

"""Minimal safetensors reading and writing with numpy only (Debian 12 has no `safetensors`
package). Shared by the fixture scripts and load_checkpoint.py.

Layout: u64 little-endian header length, a JSON header padded with spaces to a multiple of 8,
then the raw little-endian data in header order; data_offsets are relative to the data section.
"""
import json
import struct

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8", "I64": "<i8"}


def save_safetensors(path, tensors, metadata=None):
    """tensors: dict name -> array-like (stored as float32) or (dtype, array-like) with dtype one
    of F32, F64, I64. Scalars are stored with shape [1]."""
    header = {"__metadata__": {str(k): str(v) for k, v in (metadata or {}).items()}}
    blobs, off = [], 0
    for name, t in tensors.items():
        dt, a = t if isinstance(t, tuple) else ("F32", t)
        a = np.ascontiguousarray(np.asarray(a, dtype=DTYPES[dt]))
        shape = list(a.shape) if a.ndim > 0 else [1]
        b = a.tobytes()
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    """Returns (metadata dict, dict name -> numpy array) for F32, F64 and I64 tensors."""
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = raw[8 + n :]
    out = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(data[b:e], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
    return meta, out

# Reads safetensors by the spec (8-byte LE header length, JSON header, data) into the numpy stand-in tensors.
import json, struct, contextlib
import numpy as np
from torch import T

class _File:
    def __init__(self, path):
        raw = open(path, "rb").read()
        (n,) = struct.unpack("<Q", raw[:8])
        header = json.loads(raw[8:8 + n])
        self._meta = header.pop("__metadata__", {})
        self._header = header
        self._data = raw[8 + n:]
    def metadata(self):
        return self._meta
    def keys(self):
        return list(self._header.keys())
    def get_tensor(self, name):
        e = self._header[name]
        b, end = e["data_offsets"]
        dt = {"F32": "<f4", "I8": "i1"}[e["dtype"]]
        return T(np.frombuffer(self._data[b:end], dtype=dt).reshape(e["shape"]).copy())

@contextlib.contextmanager
def safe_open(path, framework="pt"):
    yield _File(path)

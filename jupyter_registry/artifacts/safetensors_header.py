"""What a ``.safetensors`` file holds, read from its header alone.

The format is an 8-byte little-endian header length, that many bytes of JSON
(tensor name → dtype, shape, byte offsets; an optional ``__metadata__`` of
strings), then the tensors' bytes. Reading the first ``8 + n`` bytes answers
"which tensors, what shapes, how many parameters" for a file of any size, so
the caller hands in a ranged reader and the tensors are never read. The header
is capped (:data:`MAX_HEADER_BYTES`) and checked against the file's size, so a
hostile or damaged header is a :class:`ValidationError`, never a huge read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

from ..errors import ValidationError
from ..schemas import DescribeTensors, TensorInfo

#: Far above any real model's header (a few hundred KiB for thousands of tensors).
MAX_HEADER_BYTES = 16 * 1024 * 1024
LENGTH_BYTES = 8
#: Bytes per element of each dtype the format defines.
DTYPE_BYTES = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E5M2": 1,
    "F8_E4M3": 1,
    "I16": 2,
    "U16": 2,
    "F16": 2,
    "BF16": 2,
    "I32": 4,
    "U32": 4,
    "F32": 4,
    "I64": 8,
    "U64": 8,
    "F64": 8,
}

#: ``read(start, length)``: exactly those bytes of the file (fewer only at its end).
RangeReader = Callable[[int, int], bytes]


def _bad(path: str, problem: str) -> ValidationError:
    return ValidationError(f"{path} is not a readable safetensors file: {problem}")


def _header_bytes(read: RangeReader, size: int, path: str) -> bytes:
    if size < LENGTH_BYTES:
        raise _bad(path, f"it has {size} bytes, fewer than the 8 of a header length")
    length = int.from_bytes(read(0, LENGTH_BYTES), "little")
    if length > MAX_HEADER_BYTES:
        raise _bad(path, f"its header claims {length} bytes; the limit is {MAX_HEADER_BYTES}")
    if LENGTH_BYTES + length > size:
        raise _bad(path, f"its header claims {length} bytes, past the end of the file")
    data = read(LENGTH_BYTES, length)
    if len(data) != length:
        raise _bad(path, f"its header was cut short ({len(data)} of {length} bytes)")
    return data


def _tensor(name: str, entry: object, data_bytes: int, path: str) -> TensorInfo:
    if not isinstance(entry, dict):
        raise _bad(path, f"tensor {name!r} is not described by an object")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if dtype not in DTYPE_BYTES:
        raise _bad(path, f"tensor {name!r} has an unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise _bad(path, f"tensor {name!r} has a shape that is not a list of sizes")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
        or not 0 <= offsets[0] <= offsets[1] <= data_bytes
    ):
        raise _bad(path, f"tensor {name!r} has data offsets outside the file")
    count = math.prod(shape)
    if count * DTYPE_BYTES[dtype] != offsets[1] - offsets[0]:
        raise _bad(path, f"tensor {name!r}: shape {shape} of {dtype} does not fit its bytes")
    return TensorInfo(name=name, dtype=dtype, shape=shape, parameters=count)


def read_safetensors_header(read: RangeReader, size: int, path: str) -> DescribeTensors:
    """The tensors (in header order), their total element count and the file's metadata."""
    raw = _header_bytes(read, size, path)
    try:
        header = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise _bad(path, f"its header is not JSON ({exc})") from None
    if not isinstance(header, dict):
        raise _bad(path, "its header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise _bad(path, "its __metadata__ is not an object of strings")
    data_bytes = size - LENGTH_BYTES - len(raw)
    tensors = [_tensor(name, entry, data_bytes, path) for name, entry in header.items()]
    return DescribeTensors(
        path=path,
        size=size,
        header_bytes=LENGTH_BYTES + len(raw),
        parameters=sum(t.parameters for t in tensors),
        tensors=tensors,
        metadata=metadata,
    )

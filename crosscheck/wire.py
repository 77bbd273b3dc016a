"""What crosses the process boundary from your code back to the checker: data, never code.

Your code's answer is turned into bytes in its own process (`encode`) and read back in the
checker's (`decode`). The format is JSON for the structure (lists, tuples, dicts, numbers,
strings) and each array's dtype (NumPy's `dtype.str`, numeric kinds only) and shape, then the
arrays' bytes, read back with `numpy.frombuffer`: no byte your process sends can make the
checker run code (a pickle could, through `__reduce__`).
What JSON and `.npy` cannot hold is described, not sent: an object NumPy cannot make a
numeric array of comes back as an `Opaque` (its type's name and why), a dataclass (such as
`reference.Gradients`) as a `Record` of its fields, an object array as an empty array of
the same shape.

Only the standard library and NumPy are imported: the child process that runs your code
imports this module and nothing heavier of ours.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

DEPTH = 16
"""Nesting deeper than this comes back as an Opaque (a gradient list is two or three levels deep)."""
LEAVES = 100_000
"""Values (arrays, numbers, strings) in one answer at most; past it the rest are Opaque."""
TEXT = 2000
"""Characters of a string, or of an exception's message, kept."""
LARGEST = 1 << 28
"""Bytes of one message at most (256 MiB): a larger answer is refused as too large (`TooLarge`), never sent."""


@dataclass(frozen=True)
class Opaque:
    """A value that could not cross as data: its type's name, and why (NumPy's own error, say)."""

    type: str
    why: str = ""


@dataclass(frozen=True)
class Record:
    """A dataclass instance (such as `reference.Gradients`): its type's name and its fields."""

    type: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class NonText:
    """A dict key of your answer that is not a str, kept apart from the text keys: how it was described."""

    described: str

    def __str__(self) -> str:
        return self.described


class TooLarge(ValueError):
    """An answer of more than LARGEST bytes: `size` is how many it would take."""

    def __init__(self, size: int) -> None:
        super().__init__(f"an answer of {size:,} bytes, more than the {LARGEST:,} one answer may take")
        self.size = size


class WireError(ValueError):
    """Bytes that are not a message of this format (a garbled channel, or a forged one)."""


# --- your process: encode ---------------------------------------------------------------------
def encode(message: dict[str, Any]) -> bytes:
    """A message (a dict of JSON-able fields, whose "value", if any, is your code's answer) as bytes."""
    arrays: list[np.ndarray] = []
    budget = [LEAVES]
    body = {key: (_tree(value, arrays, 0, budget) if key == "value" else value) for key, value in message.items()}
    body["$arrays"] = [[array.dtype.str, list(array.shape)] for array in arrays]
    size = sum(array.nbytes for array in arrays)
    if size > LARGEST:  # said as such, before any of its bytes are copied
        raise TooLarge(size)
    header = json.dumps(body, allow_nan=True).encode()
    return b"".join([struct.pack("<Q", len(header)), header, *(array.tobytes() for array in arrays)])


def _tree(value: Any, arrays: list[np.ndarray], depth: int, budget: list[int]) -> Any:
    """`value` as JSON, its arrays appended to `arrays` and named by index."""
    if depth > DEPTH:
        return {"$o": type(value).__name__, "why": f"nested deeper than {DEPTH} levels"}
    budget[0] -= 1
    if budget[0] < 0:
        return {"$o": type(value).__name__, "why": f"more than {LEAVES} values in one answer"}
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, float):
        return float(value)
    if isinstance(value, int):
        return value if abs(value) < 2**63 else float(value)
    if isinstance(value, str):
        return {"$s": value[:TEXT]}
    if isinstance(value, dict):
        items = [[k[:TEXT], _tree(v, arrays, depth + 1, budget)] for k, v in value.items() if isinstance(k, str)]
        others = [[_key(k), _tree(v, arrays, depth + 1, budget)] for k, v in value.items() if not isinstance(k, str)]
        return {"$d": items, "$k": others} if others else {"$d": items}
    if isinstance(value, (list, tuple)):
        items = [_tree(v, arrays, depth + 1, budget) for v in value]
        return {"$t": items} if isinstance(value, tuple) else items
    if hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
        fields = {name: _tree(getattr(value, name, None), arrays, depth + 1, budget) for name in value.__dataclass_fields__}
        return {"$r": type(value).__name__, "f": fields}
    return _leaf(value, arrays)


def _key(key: Any) -> str:
    """A dict key that is not text, described: its type, and how it prints (a key that prints as "weights" is
    not the key "weights")."""
    try:
        shown = repr(key)[:200]
    except Exception:
        shown = "(it could not be printed)"
    return f"a key of type {type(key).__name__}, {shown}"


def _leaf(value: Any, arrays: list[np.ndarray]) -> Any:
    """An array, a NumPy scalar, or anything NumPy can make a numeric array of; else an Opaque."""
    name = type(value).__name__
    try:
        array = value if isinstance(value, np.ndarray) else np.asarray(value)
    except Exception as error:  # your object refused: that is the answer, described
        return {"$o": name, "why": _said(error)}
    if array.dtype.kind == "O":
        if isinstance(value, np.ndarray):
            return {"$O": list(array.shape)}
        return {"$o": name, "why": "not a numeric array"}
    if array.dtype.kind not in "biufc" or array.dtype.hasobject:
        return {"$o": name, "why": f"an array of dtype {array.dtype}"}
    if not array.dtype.isnative:  # a big-endian ">f8" is the same numbers: sent in this machine's byte order
        array = array.astype(array.dtype.newbyteorder("="))
    arrays.append(array)  # its bytes go in C order (tobytes), whatever its layout
    return {"$a": len(arrays) - 1}


def _said(error: BaseException) -> str:
    """An exception as "Type: message", whatever its __str__ does."""
    try:
        text = str(error)
    except Exception:
        text = "(its message could not be printed)"
    return f"{type(error).__name__}: {text}"[:TEXT] if text else type(error).__name__


def said(error: BaseException) -> str:
    """The exception's own message, whatever its __str__ does ("" when it has none)."""
    try:
        return str(error)[:TEXT]
    except Exception:
        return "(its message could not be printed)"


# --- the checker's process: decode ------------------------------------------------------------
def decode(data: bytes) -> dict[str, Any]:
    """The message `encode` made, with "value" rebuilt from plain data; WireError on anything else."""
    try:
        (length,) = struct.unpack_from("<Q", data, 0)
        if length > len(data) - 8:
            raise WireError("the header runs past the message")
        body = json.loads(data[8 : 8 + length].decode())
        if not isinstance(body, dict):
            raise WireError("the header is not a JSON object")
        arrays, offset = [], 8 + length
        for descr, shape in body.pop("$arrays", []):
            dtype = np.dtype(str(descr))
            if dtype.kind not in "biufc" or dtype.hasobject:
                raise WireError(f"an array of dtype {dtype}")
            shape = tuple(int(n) for n in shape)
            if any(n < 0 for n in shape):
                raise WireError(f"an array of shape {shape}")
            count = math.prod(shape)
            arrays.append(np.frombuffer(data, dtype, count, offset).reshape(shape).copy())
            offset += count * dtype.itemsize
        if offset != len(data):
            raise WireError(f"{len(data) - offset} bytes after the last array")
    except WireError:
        raise
    except Exception as error:  # truncated, not JSON, not .npy, an object array: not this format
        raise WireError(f"{type(error).__name__}: {error}") from None
    if "value" in body:
        try:
            body["value"] = _rebuilt(body["value"], arrays, 0)
        except WireError:
            raise
        except Exception as error:  # a node of the right name holding the wrong thing
            raise WireError(f"{type(error).__name__}: {error}") from None
    return body


def _rebuilt(tree: Any, arrays: list[np.ndarray], depth: int) -> Any:  # noqa: C901 (one branch per kind of value)
    if depth > DEPTH + 1:
        raise WireError("nested deeper than the format allows")
    if tree is None or isinstance(tree, (bool, int, float)):
        return tree
    if isinstance(tree, list):
        return [_rebuilt(t, arrays, depth + 1) for t in tree]
    if not isinstance(tree, dict) or len(tree) > 2:
        raise WireError(f"an unknown node {type(tree).__name__}")
    if "$s" in tree:
        return str(tree["$s"])
    if "$t" in tree:
        return tuple(_rebuilt(t, arrays, depth + 1) for t in tree["$t"])
    if "$d" in tree:
        kept: dict[Any, Any] = {str(k): _rebuilt(v, arrays, depth + 1) for k, v in tree["$d"]}
        kept |= {NonText(str(k)): _rebuilt(v, arrays, depth + 1) for k, v in tree.get("$k", [])}
        return kept
    if "$r" in tree:
        return Record(str(tree["$r"]), {str(k): _rebuilt(v, arrays, depth + 1) for k, v in tree["f"].items()})
    if "$o" in tree:
        return Opaque(str(tree["$o"]), str(tree.get("why", "")))
    if "$O" in tree:
        return np.empty(tuple(int(n) for n in tree["$O"]), dtype=object)
    if "$a" in tree:
        index = tree["$a"]
        if not isinstance(index, int) or not 0 <= index < len(arrays):
            raise WireError("an array index out of range")
        return arrays[index]
    raise WireError(f"an unknown node {sorted(tree)}")


def type_name(value: Any) -> str:
    """The name of the type your code returned (an Opaque's or a Record's, for those)."""
    if isinstance(value, (Opaque, Record)):
        return value.type
    return type(value).__name__

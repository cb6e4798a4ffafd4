"""Framework labels (any text) inside memstrata namespace names (letters,
digits and ``. _ : @ -``): kept where they are made of letters, digits, ``_``,
``-`` and ``@``, each other character written as ``:`` and two hex digits a
UTF-8 byte. ``.`` never comes out of ``escape``, so it can join labels."""

from __future__ import annotations

KEPT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-@")


def escape(label: str) -> str:
    """The label as a part of a namespace name (one label maps to one part)."""
    return "".join(c if c in KEPT else "".join(f":{b:02x}" for b in c.encode()) for c in label)


def unescape(part: str) -> str:
    """The label a part of a namespace name stands for. Raises ValueError for a
    part ``escape`` cannot have written."""
    out = bytearray()
    i = 0
    while i < len(part):
        if part[i] == ":":
            if len(part[i + 1 : i + 3]) != 2:
                raise ValueError(f"a cut escape in {part!r}")
            out.append(int(part[i + 1 : i + 3], 16))
            i += 3
        elif part[i] in KEPT:
            out += part[i].encode("ascii")
            i += 1
        else:
            raise ValueError(f"{part[i]!r} is never kept in {part!r}")
    return out.decode("utf-8")

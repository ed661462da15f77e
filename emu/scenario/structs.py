"""Structures a scenario declares: the C memory its steps pass to the API.

A YAML program cannot allocate memory the way C does, so it declares it: in ``shared:`` (one
per simulation, visible to every thread and handler, like a global) or in a thread's
``locals:`` (one per thread, like a local variable of its start routine). Each declaration is
created fresh for every run. The forms::

    n: DWORD                               # a structure with every field 0
    ov: {type: OVERLAPPED, Offset: 0}      # fields given as constants
    entries: {type: OVERLAPPED_ENTRY, count: 4}   # an array (a Python list)
    buf: {type: buffer, size: 64}          # a byte buffer (bytearray)
    msg: {type: buffer, data: "hello"}     # a buffer holding UTF-8 text

An argument may also create a fresh structure for one call: ``{new: OVERLAPPED}``.

Declared structures are bound to the simulation when they are created (shared ones when the
simulation is built, a thread's when the thread starts), under their variable name (``reports``;
``main.ov`` for a thread's local; ``entries[2]`` for an array element), so every read and write
of theirs is traced from the first one, which is what race analysis needs. A ``{new: ...}``
structure is traced once it is first passed to the system, as in ``emu.kernel.memory``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from emu.devices.nic import MIB_IPINTERFACE_ROW
from emu.kernel.memory import Struct
from emu.scenario.nodes import Map, Node, Scalar
from emu.scenario.shape import did_you_mean
from emu.win32.ntos_types import KDPC, KEVENT, KIRQL, KSPIN_LOCK, LARGE_INTEGER, WORK_QUEUE_ITEM
from emu.win32.peerdist import (
    PEERDIST_CONTENT_TAG,
    PEERDIST_PUBLICATION_OPTIONS,
    PEERDIST_STATUS,
    PEERDIST_STATUS_INFO,
)
from emu.win32.types import (
    CRITICAL_SECTION,
    DWORD,
    HANDLE,
    LONG,
    OVERLAPPED,
    OVERLAPPED_ENTRY,
    PVOID,
    SRWLOCK,
    ULONG,
    ULONG_PTR,
)
from emu.win32.winsvc import SERVICE_NOTIFY, SERVICE_STATUS, SERVICE_STATUS_PROCESS
from emu.win32.ws2_32.notify import SOCK_NOTIFY_REGISTRATION
from emu.win32.ws2_32.types import INT, SOCKADDR_IN, WSABUF, WSADATA

STRUCT_TYPES: Final[dict[str, type[Struct]]] = {
    cls.__name__: cls
    for cls in (
        DWORD,
        LONG,
        ULONG,
        ULONG_PTR,
        PVOID,
        OVERLAPPED,
        OVERLAPPED_ENTRY,
        CRITICAL_SECTION,
        SRWLOCK,
        KEVENT,
        KDPC,
        KSPIN_LOCK,
        KIRQL,
        LARGE_INTEGER,
        WORK_QUEUE_ITEM,
        SERVICE_STATUS,
        SERVICE_STATUS_PROCESS,
        SERVICE_NOTIFY,
        WSADATA,
        SOCKADDR_IN,
        INT,
        WSABUF,
        SOCK_NOTIFY_REGISTRATION,
        HANDLE,
        MIB_IPINTERFACE_ROW,
        PEERDIST_STATUS,
        PEERDIST_STATUS_INFO,
        PEERDIST_CONTENT_TAG,
        PEERDIST_PUBLICATION_OPTIONS,
    )
}
"""The structures a scenario may declare, by their header names."""

BUFFER: Final = "buffer"
TYPE_NAMES: Final = (*STRUCT_TYPES, BUFFER)
MAX_ARRAY: Final = 4096
MAX_BUFFER: Final = 1 << 20


def bind_named(value: Any, k: Any, name: str) -> None:
    """Bind a declared structure (or each element of an array) under its variable name."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            item.bind(k, f"{name}[{index}]")
    elif isinstance(value, Struct):
        value.bind(k, name)


@dataclass(frozen=True, slots=True)
class Declaration:
    """A compiled declaration: what it is, and a factory making a fresh one per run."""

    name: str
    type_name: str
    struct: type[Struct] | None
    array: bool
    make: Callable[[], Any]

    @property
    def fields(self) -> tuple[str, ...]:
        return self.struct._fields_ if self.struct is not None else ()


def _type_of(node: Node) -> str:
    if not isinstance(node, Scalar) or not isinstance(node.value, str):
        node.fail(f"expected a structure type ({', '.join(TYPE_NAMES)})")
    name = node.value
    if name not in TYPE_NAMES:
        node.fail(f"unknown structure type {name!r}{did_you_mean(name, TYPE_NAMES)}")
    return name


def _field_values(
    node: Map, struct: type[Struct], skip: tuple[str, ...], convert: Callable[[Node], Any]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, child in node.items():
        if key in skip:
            continue
        if key not in struct._fields_:
            hint = did_you_mean(key, struct._fields_)
            known = ", ".join(struct._fields_)
            node.key_node(key).fail(
                f"{struct.__name__} has no field {key!r}{hint}; fields: {known}"
            )
        values[key] = convert(child)
    return values


def _count(node: Node, what: str, high: int) -> int:
    if not isinstance(node, Scalar) or type(node.value) is not int or not 1 <= node.value <= high:
        node.fail(f"expected {what}: an integer from 1 to {high:,}")
    return int(node.value)


def compile_declaration(name: str, node: Node, convert: Callable[[Node], Any]) -> Declaration:
    """Compile one declaration; ``convert`` turns a field's node into a constant value."""
    if isinstance(node, Scalar):
        type_name = _type_of(node)
        if type_name == BUFFER:
            node.fail("a buffer needs a size or data: {type: buffer, size: 64}")
        struct = STRUCT_TYPES[type_name]
        return Declaration(name, type_name, struct, False, struct)
    if not isinstance(node, Map):
        node.fail("expected a structure type or {type: TYPE, field: value, ...}")
    type_node = node.get("type")
    if type_node is None:
        node.fail("missing required key 'type' in a structure declaration")
    type_name = _type_of(type_node)
    if type_name == BUFFER:
        return _buffer(name, node)
    struct = STRUCT_TYPES[type_name]
    count_node = node.get("count")
    values = _field_values(node, struct, ("type", "count"), convert)
    if count_node is not None:
        count = _count(count_node, "an array length", MAX_ARRAY)

        def make_array() -> list[Struct]:
            return [struct(**values) for _ in range(count)]

        return Declaration(name, type_name, struct, True, make_array)

    def make() -> Struct:
        return struct(**values)

    return Declaration(name, type_name, struct, False, make)


def _buffer(name: str, node: Map) -> Declaration:
    for key in node.keys:
        if key not in ("type", "size", "data"):
            node.key_node(key).fail(f"unknown key {key!r} in a buffer; expected size or data")
    data_node, size_node = node.get("data"), node.get("size")
    if data_node is not None:
        if size_node is not None:
            size_node.fail("a buffer has a size or data, not both")
        if not isinstance(data_node, Scalar) or not isinstance(data_node.value, str):
            data_node.fail("expected the buffer's text")
        data = data_node.value.encode("utf-8")

        def make_data() -> bytearray:
            return bytearray(data)

        return Declaration(name, BUFFER, None, False, make_data)
    if size_node is None:
        node.fail("a buffer needs a size or data: {type: buffer, size: 64}")
    size = _count(size_node, "a buffer size in bytes", MAX_BUFFER)

    def make_sized() -> bytearray:
        return bytearray(size)

    return Declaration(name, BUFFER, None, False, make_sized)

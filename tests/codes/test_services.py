"""The service codes (emu/codes/services.py) carry winsvc.h's values: docs/sources.md F1.1-F1.3."""

from __future__ import annotations

import emu.codes.services as s


def test_F1_1_the_service_notify_versions() -> None:
    # F1.1: SERVICE_NOTIFY_STATUS_CHANGE is SERVICE_NOTIFY_STATUS_CHANGE_2, 2.
    assert (s.SERVICE_NOTIFY_STATUS_CHANGE_1, s.SERVICE_NOTIFY_STATUS_CHANGE_2) == (1, 2)
    assert s.SERVICE_NOTIFY_STATUS_CHANGE == 2


def test_F1_2_the_notify_mask_bits() -> None:
    # F1.2: the masks of winsvc.h, each a bit of its own, listed in value order.
    masks = {
        "SERVICE_NOTIFY_STOPPED": 0x1,
        "SERVICE_NOTIFY_START_PENDING": 0x2,
        "SERVICE_NOTIFY_STOP_PENDING": 0x4,
        "SERVICE_NOTIFY_RUNNING": 0x8,
        "SERVICE_NOTIFY_CONTINUE_PENDING": 0x10,
        "SERVICE_NOTIFY_PAUSE_PENDING": 0x20,
        "SERVICE_NOTIFY_PAUSED": 0x40,
        "SERVICE_NOTIFY_CREATED": 0x80,
        "SERVICE_NOTIFY_DELETED": 0x100,
        "SERVICE_NOTIFY_DELETE_PENDING": 0x200,
    }
    assert {name: getattr(s, name) for name in masks} == masks
    assert list(s.NOTIFY_BITS) == list(masks)


def test_F1_3_a_states_bit_is_one_shifted_by_the_state_less_one() -> None:
    # F1.3: 1 << (dwCurrentState - SERVICE_STOPPED); STOPPED (1) -> 0x1, RUNNING (4) -> 0x8.
    states = [s.SERVICE_STOPPED, s.SERVICE_START_PENDING, s.SERVICE_STOP_PENDING]
    states += [s.SERVICE_RUNNING, s.SERVICE_CONTINUE_PENDING, s.SERVICE_PAUSE_PENDING]
    states += [s.SERVICE_PAUSED]
    assert states == [1, 2, 3, 4, 5, 6, 7]
    assert [s.notify_bit(state) for state in states] == [1, 2, 4, 8, 16, 32, 64]
    assert s.notify_bit(s.SERVICE_RUNNING) == s.SERVICE_NOTIFY_RUNNING
    assert s.notify_mask_names(0x9) == "SERVICE_NOTIFY_STOPPED|SERVICE_NOTIFY_RUNNING"


def test_a_mask_is_named_bit_by_bit_in_value_order_and_unknown_bits_in_hex() -> None:
    # The names of every mask, whether from the table built at import or computed.
    bits = [(name, getattr(s, name)) for name in s.NOTIFY_BITS]
    for mask in [*range(0x400), 0x400, 0x409, 0x1_0000_0001]:
        names = [name for name, bit in bits if mask & bit]
        rest = mask & ~0x3FF
        expected = "|".join([*names, *([f"0x{rest:X}"] if rest else [])]) or "0"
        assert s.notify_mask_names(mask) == expected, hex(mask)
    assert s.notify_mask_names(0) == "0"
    assert s.notify_mask_names(0x409) == "SERVICE_NOTIFY_STOPPED|SERVICE_NOTIFY_RUNNING|0x400"


def test_state_names_and_an_unknown_state_as_its_number() -> None:
    assert s.state_name(s.SERVICE_RUNNING) == "SERVICE_RUNNING"
    assert s.state_name(s.SERVICE_PAUSE_PENDING) == "SERVICE_PAUSE_PENDING"
    assert s.state_name(99) == "99"

"""course_lib.safe_pickle: restricted loaders for .pth state dicts and NumPy pickles.

References: tensors and pickles crafted here byte by byte (pickle opcodes written out, so the expected
arrays are known independently of the loader), and NumPy's own pickler for the round trips. The
official Zero-DCE files are checked in test_zero_dce.py (they need ../shared/reference_data).
"""

import collections
import pickle
import struct
import zipfile
from fractions import Fraction

import numpy as np
import pytest

from course_lib.safe_pickle import UnsafePickleError, load_numpy_pickle, load_torch_state_dict

# --- a tiny pickle assembler (protocol 2 opcodes) ---------------------------------------------------


def _str(text):
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def _int(n):
    return b"J" + struct.pack("<i", n)


def _tuple(*items):
    return b"(" + b"".join(items) + b"t"


def _global(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _tensor(key, numel, offset, size, stride, legacy=False, rebuild=("torch._utils", "_rebuild_tensor_v2")):
    pid_items = [_str("storage"), _global("torch", "FloatStorage"), _str(key), _str("cpu"), _int(numel)]
    if legacy:
        pid_items.append(b"N")  # view_metadata
    args = _tuple(
        _tuple(*pid_items) + b"Q",  # BINPERSID: the storage
        _int(offset),
        _tuple(*map(_int, size)),
        _tuple(*map(_int, stride)),
        b"\x89",  # requires_grad = False
        _global("collections", "OrderedDict") + b")R",  # backward hooks
    )
    return _global(*rebuild) + args + b"R"


def _state_dict(entries):
    """entries: {name: opcode bytes of the value} -> a protocol-2 pickle of an OrderedDict."""
    body = b"".join(_str(k) + v for k, v in entries.items())
    return b"\x80\x02" + _global("collections", "OrderedDict") + b")R(" + body + b"u."


STORAGE = np.arange(12, dtype=np.float32) * 0.5 - 1.0
# 'a': the whole storage as (3, 4); 'b': a strided view, b[i, j] = storage[1 + i + 4 j], shape (4, 2)
ENTRIES = {
    "a": dict(offset=0, size=(3, 4), stride=(4, 1)),
    "b": dict(offset=1, size=(4, 2), stride=(1, 4)),
}
EXPECTED = {
    "a": STORAGE.reshape(3, 4),
    "b": np.array([[STORAGE[1 + i + 4 * j] for j in range(2)] for i in range(4)], dtype=np.float32),
}


def _write_zip(path, data_pkl, storages):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", data_pkl)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")
        for key, array in storages.items():
            z.writestr(f"archive/data/{key}", array.astype("<f4").tobytes())
    return path


def _write_legacy(path, main_pickle, storages):
    header = [
        pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2),
        pickle.dumps(1001, protocol=2),
        pickle.dumps({"protocol_version": 1001, "little_endian": True, "type_sizes": {}}, protocol=2),
    ]
    with open(path, "wb") as f:
        for chunk in header:
            f.write(chunk)
        f.write(main_pickle)
        f.write(pickle.dumps(list(storages), protocol=2))
        for array in storages.values():
            f.write(struct.pack("<q", array.size) + array.astype("<f4").tobytes())
    return path


def _good_entries(legacy=False):
    return {k: _tensor("0", STORAGE.size, legacy=legacy, **v) for k, v in ENTRIES.items()}


# --- torch state dicts ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["zip", "legacy"])
def test_crafted_state_dict_loads_with_views(tmp_path, fmt):
    if fmt == "zip":
        path = _write_zip(tmp_path / "w.pth", _state_dict(_good_entries()), {"0": STORAGE})
    else:
        path = _write_legacy(tmp_path / "w.pth", _state_dict(_good_entries(legacy=True)), {"0": STORAGE})
    state = load_torch_state_dict(path)
    assert list(state) == ["a", "b"]
    for key, expected in EXPECTED.items():
        assert state[key].dtype == np.float32 and state[key].shape == expected.shape
        np.testing.assert_array_equal(state[key], expected)


def _os_system_payload(marker):
    # what pickle.dumps of an object whose __reduce__ returns (os.system, (cmd,)) amounts to
    return _global("os", "system") + _tuple(_str(f"touch {marker}")) + b"R"


@pytest.mark.parametrize("fmt", ["zip", "legacy"])
def test_state_dict_naming_os_system_is_refused_before_running(tmp_path, fmt):
    marker = tmp_path / "pwned"
    entries = {**_good_entries(legacy=fmt == "legacy"), "evil": _os_system_payload(marker)}
    if fmt == "zip":
        path = _write_zip(tmp_path / "evil.pth", _state_dict(entries), {"0": STORAGE})
    else:
        path = _write_legacy(tmp_path / "evil.pth", _state_dict(entries), {"0": STORAGE})
    with pytest.raises(UnsafePickleError, match=r"refusing to load .*os\.system"):
        load_torch_state_dict(path)
    assert not marker.exists()


def test_state_dict_with_other_non_allowed_global_is_refused(tmp_path):
    # a tensor rebuilt through a function that is not on the list (torch has it, we do not allow it)
    bad = {
        "a": _tensor(
            "0", 12, 0, (3, 4), (4, 1), rebuild=("torch._utils", "_rebuild_device_tensor_from_numpy")
        )
    }
    path = _write_zip(tmp_path / "bad.pth", _state_dict(bad), {"0": STORAGE})
    with pytest.raises(UnsafePickleError, match="torch._utils._rebuild_device_tensor_from_numpy"):
        load_torch_state_dict(path)
    # and a plain builtins global hidden as a dict value
    sneaky = {"a": _global("builtins", "getattr") + _tuple(_str("x"), _str("upper")) + b"R"}
    path = _write_zip(tmp_path / "sneaky.pth", _state_dict(sneaky), {})
    with pytest.raises(UnsafePickleError, match="builtins.getattr"):
        load_torch_state_dict(path)


def test_tensor_view_past_its_storage_is_an_error(tmp_path):
    entries = {"a": _tensor("0", 12, 6, (3, 4), (4, 1))}  # needs 6 + 11 = 17 elements, storage has 12
    path = _write_zip(tmp_path / "short.pth", _state_dict(entries), {"0": STORAGE})
    with pytest.raises(pickle.UnpicklingError, match="past its storage"):
        load_torch_state_dict(path)


# --- numpy pickles ----------------------------------------------------------------------------------


def _tree():
    rng = np.random.default_rng(0)
    return {
        "VGG16_0": {
            "Conv_0": {
                "kernel": rng.standard_normal((3, 3, 3, 4)).astype(np.float32),
                "bias": np.zeros(4, np.float32),
            },
            "Conv_1": {"kernel": np.asfortranarray(rng.standard_normal((2, 5)).astype(np.float32))},
        },
        "list": [np.arange(3, dtype=np.int64), (np.float64(2.5), np.ones((2, 2), np.float64))],
        "ordered": collections.OrderedDict(x=np.array([1.0, 2.0], np.float32)),
        "scalar": np.float32(0.25),
        "meta": {"name": "vgg16", "n": 13},
    }


def _assert_same_tree(a, b):
    assert type(a) is type(b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _assert_same_tree(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same_tree(x, y)
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b)
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_numpy_pickle_round_trip(tmp_path, protocol):
    tree = _tree()
    path = tmp_path / "tree.ckpt"
    path.write_bytes(pickle.dumps(tree, protocol=protocol))
    _assert_same_tree(load_numpy_pickle(path), tree)


def test_numpy2_module_names_are_accepted(tmp_path):
    # NumPy 2 writes numpy._core.multiarray; a file from it must load under NumPy 1 too (and vice versa)
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    raw = pickle.dumps({"w": array}, protocol=2)
    assert b"numpy.core.multiarray" in raw
    path = tmp_path / "np2.pkl"
    path.write_bytes(raw.replace(b"numpy.core.multiarray", b"numpy._core.multiarray"))
    np.testing.assert_array_equal(load_numpy_pickle(path)["w"], array)


def test_numpy_pickle_naming_other_global_is_refused(tmp_path):
    path = tmp_path / "fraction.pkl"
    path.write_bytes(pickle.dumps({"w": np.zeros(2, np.float32), "f": Fraction(1, 3)}))
    with pytest.raises(UnsafePickleError, match="fractions.Fraction"):
        load_numpy_pickle(path)
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(b"\x80\x02}(" + _str("w") + _os_system_payload(marker) + b"u.")
    with pytest.raises(UnsafePickleError, match=r"os\.system"):
        load_numpy_pickle(path)
    assert not marker.exists()


# --- hostile files: views outside the storage, huge allocations, state kept between loads ------------


@pytest.mark.parametrize(
    "offset, size, stride",
    [
        (3, (4,), (-1,)),  # negative stride: reaches storage[0] ... storage[-1] before the data
        (11, (4096,), (-1,)),  # negative stride reaching 4 KB before the storage (heap contents)
        (0, (2, 2), (-4096, 1)),
        (-1, (2,), (1,)),  # negative offset
    ],
)
def test_views_reaching_outside_their_storage_are_refused(tmp_path, offset, size, stride):
    entries = {"a": _tensor("0", 12, offset, size, stride)}
    path = _write_zip(tmp_path / "neg.pth", _state_dict(entries), {"0": STORAGE})
    with pytest.raises(pickle.UnpicklingError, match="negative offset, size or stride"):
        load_torch_state_dict(path)


def test_stride_zero_view_cannot_allocate_more_than_its_storage(tmp_path):
    # 20000 x 20000 float32 = 1.6 GB from a 48-byte storage
    entries = {"a": _tensor("0", 12, 0, (20000, 20000), (0, 0))}
    path = _write_zip(tmp_path / "bomb.pth", _state_dict(entries), {"0": STORAGE})
    with pytest.raises(pickle.UnpicklingError, match="more than the storage's 12"):
        load_torch_state_dict(path)


def test_storage_member_larger_than_declared_is_refused_before_reading(tmp_path, monkeypatch):
    big = np.zeros(1 << 20, np.float32)  # 4 MB member for a tensor header that declares 12 elements
    path = _write_zip(tmp_path / "big.pth", _state_dict(_good_entries()), {"0": big})
    reads = []
    real_read = zipfile.ZipFile.read
    monkeypatch.setattr(
        zipfile.ZipFile, "read", lambda self, name, *a: reads.append(name) or real_read(self, name, *a)
    )
    with pytest.raises(
        pickle.UnpicklingError, match="holds 4194304 bytes, but its tensor header says 12 elements"
    ):
        load_torch_state_dict(path)
    assert not any(name.endswith("data/0") for name in reads)


def test_legacy_storage_count_beyond_the_end_of_the_file_is_refused(tmp_path):
    path = _write_legacy(tmp_path / "w.pth", _state_dict(_good_entries(legacy=True)), {"0": STORAGE})
    raw = bytearray(path.read_bytes())
    count_at = len(raw) - STORAGE.nbytes - 8
    raw[count_at : count_at + 8] = struct.pack("<q", 1 << 40)  # 4 TB of floats claimed
    path.write_bytes(bytes(raw))
    with pytest.raises(pickle.UnpicklingError, match="bytes are left in the file"):
        load_torch_state_dict(path)


def test_a_pickle_cannot_change_the_loader_for_later_files(tmp_path):
    # BUILD on the FloatStorage marker: try to make every later float storage int8
    poison = _global("torch", "FloatStorage") + b"}" + _str("dtype") + _str("int8") + b"sb" + b"0"
    evil = b"\x80\x02" + poison + _global("collections", "OrderedDict") + b")R."
    _write_zip(tmp_path / "evil.pth", evil, {})
    with pytest.raises(pickle.UnpicklingError):
        load_torch_state_dict(tmp_path / "evil.pth")
    # BUILD on the rebuild function: setting attributes of a function is harmless only if it is not shared
    fn_poison = _global("torch._utils", "_rebuild_tensor_v2") + b"}" + _str("__defaults__") + b"N" + b"sb0"
    _write_zip(
        tmp_path / "evil2.pth", b"\x80\x02" + fn_poison + _global("collections", "OrderedDict") + b")R.", {}
    )
    load_torch_state_dict(tmp_path / "evil2.pth")  # sets it on a throwaway wrapper
    good = _write_zip(tmp_path / "good.pth", _state_dict(_good_entries()), {"0": STORAGE})
    state = load_torch_state_dict(good)
    np.testing.assert_array_equal(state["a"], EXPECTED["a"])


@pytest.mark.parametrize(
    "payload",
    [b"", b"\x80\x02", b"PK\x03\x04 not really a zip", b"\x80\x02(" * 100000, b"\x80\x02" + _int(1) + b"."],
)
def test_malformed_files_raise_unpickling_error_only(tmp_path, payload):
    path = tmp_path / "bad.pth"
    path.write_bytes(payload)
    with pytest.raises(pickle.UnpicklingError):
        load_torch_state_dict(path)
    if not payload.endswith(b"."):  # a pickle of the integer 1 is a valid NumPy pickle
        with pytest.raises(pickle.UnpicklingError):
            load_numpy_pickle(path)

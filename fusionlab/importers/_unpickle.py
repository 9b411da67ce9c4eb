"""A restricted unpickler for other tools' score files (private).

Pickle can run arbitrary code while it loads: every global a pickle names is
imported and may be called. :func:`restricted_load` never imports anything a
pickle names. It admits exactly these globals, each mapped to a fixed object
(never looked up by name):

* numpy array reconstruction: ``numpy.core.multiarray._reconstruct`` (and the
  ``numpy._core`` spelling of NumPy 2), ``numpy.ndarray`` (only as the argument
  of ``_reconstruct``), ``numpy.dtype``, ``numpy.core.multiarray.scalar`` and
  ``numpy.core.numeric._frombuffer`` (pickle protocol 5), object arrays
  included (their elements go through the same restrictions). Pickled dtype
  *states* are not trusted: arrays and scalars always get a fresh builtin dtype
  equal to the pickled one (a dtype whose state was altered, e.g. an object
  dtype flagged as holding no references, would make numpy read raw bytes as
  object pointers), structured dtypes are refused, and an array's state is set
  once;
* plain containers and scalars: ``builtins`` (or Python 2's ``__builtin__``)
  ``dict``, ``list``, ``tuple``, ``set``, ``frozenset``, ``int``, ``float``,
  ``complex``, ``str``, ``bool``, ``bytes``/``bytearray`` (from bytes or a
  latin-1 string only), ``collections.OrderedDict`` and ``_codecs.encode``
  (latin-1 only: how protocol 2 spells ``bytes``);
* PyTorch CPU tensors, decoded **without importing torch**:
  ``torch._utils._rebuild_tensor_v2`` / ``_rebuild_tensor`` /
  ``_rebuild_parameter``, ``torch.storage._load_from_bytes`` and the typed
  storage classes (``torch.FloatStorage``, ...). Such a tensor is pickled as
  its storage in torch's legacy serialisation (a few protocol-2 pickles, then
  raw little-endian element data); this module parses that layout itself with
  the same restricted unpickler and returns a NumPy array (bfloat16 becomes
  float32). Tensor subclasses, sparse or quantised tensors, storage views and
  big-endian data are refused.

Anything else raises :class:`RefusedPickle` naming the global (for example
``refused to unpickle 'posix.system'``) before it is imported, so a payload
that would run code is refused and never run.
"""

from __future__ import annotations

import collections
import io
import math
import pickle
import pickletools
import warnings
from collections.abc import Callable
from typing import IO, Any, NoReturn, cast

import numpy as np
import numpy.typing as npt

__all__ = ["PickleDataError", "RefusedPickle", "restricted_load"]


class RefusedPickle(Exception):
    """The pickle names a global that is not admitted (it would import or run code)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"refused to unpickle {name!r}")


class PickleDataError(Exception):
    """An admitted global was given arguments it does not accept."""


# The real numpy functions, found through numpy itself (not by the pickle's names).
_RECONSTRUCT = cast("tuple[Callable[..., Any], ...]", np.zeros(1).__reduce__())[0]
_SCALAR = cast("tuple[Callable[..., Any], ...]", np.float64(0).__reduce__())[0]

_TORCH_MAGIC = 0x1950A86A20F9469CFC6C
_TORCH_PROTOCOL = 1001
_BF16 = "bfloat16"
#: torch typed-storage class name -> little-endian numpy dtype (bfloat16 is special-cased).
_STORAGE_DTYPES: dict[str, str] = {
    "FloatStorage": "<f4",
    "DoubleStorage": "<f8",
    "HalfStorage": "<f2",
    "BFloat16Storage": _BF16,
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}


def _fail(msg: str) -> NoReturn:
    raise PickleDataError(msg)


class _Sealed:
    """Objects handed to a pickle; BUILD (``__setstate__``) on them is refused."""

    __slots__ = ()

    def __setstate__(self, state: Any) -> None:
        _fail(f"BUILD on {type(self).__name__}")


class _Callable(_Sealed):
    """A fresh wrapper around an admitted function; its attributes cannot be set."""

    __slots__ = ("_fn",)
    _fn: Callable[..., Any]

    def __init__(self, fn: Callable[..., Any]) -> None:
        object.__setattr__(self, "_fn", fn)

    def __setattr__(self, name: str, value: Any) -> None:
        _fail("setting an attribute of an admitted function")

    def __call__(self, *args: Any) -> Any:
        return self._fn(*args)


class _NDArrayType(_Sealed):
    """Stands for ``numpy.ndarray``; only ``_reconstruct`` accepts it (not callable)."""

    __slots__ = ()


class _StorageType(_Sealed):
    """Stands for a torch typed-storage class; only usable in a storage record."""

    __slots__ = ("dtype", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self.dtype = _STORAGE_DTYPES[name]


class _Storage(_Sealed):
    """A decoded torch storage: a 1-D numpy array filled after the storage record."""

    __slots__ = ("array", "numel", "stype")

    def __init__(self, stype: _StorageType, numel: int) -> None:
        self.stype = stype
        self.numel = numel
        self.array: npt.NDArray[Any] | None = None


class _Limits:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes


def _canonical(dtype: Any) -> np.dtype[Any]:
    """A fresh, builtin dtype equal to ``dtype``, which the pickle may have BUILT into an
    inconsistent state (for example an object dtype whose flags say it holds no
    references: an array of it would treat raw bytes as object pointers and crash)."""
    if isinstance(dtype, (str, bytes)):
        code = dtype.decode("latin-1") if isinstance(dtype, bytes) else dtype
        if len(code) > 16:
            _fail("dtype code too long")
        dtype = np.dtype(code)
    if not isinstance(dtype, np.dtype):
        _fail(f"expected a dtype, got {type(dtype).__name__}")
    if dtype.fields is not None or dtype.subdtype is not None:
        _fail("structured and sub-array dtypes are not admitted")
    canonical = np.dtype(dtype.str)
    if (
        canonical.itemsize != dtype.itemsize
        or canonical.flags != dtype.flags
        or canonical.hasobject != dtype.hasobject
    ):
        _fail(f"dtype {dtype.str!r} with an inconsistent pickled state")
    return canonical


class _GuardedArray(np.ndarray):
    """What ``_reconstruct`` builds: its BUILD (``__setstate__``) runs once, with a
    canonical dtype, so the array never shares a dtype object with the pickle."""

    def __setstate__(self, state: Any) -> None:
        if getattr(self, "_fusionlab_built", False):
            _fail("BUILD of an array twice")
        if not isinstance(state, tuple) or len(state) not in (4, 5):
            _fail("array state is not a 4- or 5-tuple")
        items = list(state)
        at = len(items) - 3  # (version,) shape, dtype, is_fortran, rawdata
        items[at] = _canonical(items[at])
        np.ndarray.__setstate__(self, tuple(items))
        self._fusionlab_built = True


def _reconstruct(subtype: Any, shape: Any, dtype: Any) -> Any:
    if not isinstance(subtype, _NDArrayType):
        _fail("_reconstruct of something other than numpy.ndarray")
    if not isinstance(shape, tuple) or math.prod(int(v) for v in shape if isinstance(v, int)) > 1:
        _fail("_reconstruct with a non-empty initial shape")
    return _RECONSTRUCT(_GuardedArray, shape, _canonical(dtype))


def _dtype(obj: Any, align: Any = False, copy: Any = True) -> np.dtype[Any]:
    # Always a copy: with copy=False a later BUILD would alter numpy's own builtin dtype.
    if not isinstance(obj, str) or len(obj) > 16:
        _fail("numpy.dtype from something other than a short type code")
    dt: np.dtype[Any] = np.dtype(obj, bool(align), True)
    return dt


def _scalar(dtype: Any, *args: Any) -> Any:
    if not isinstance(dtype, np.dtype):
        _fail("scalar with a non-dtype argument")
    return _SCALAR(_canonical(dtype), *args)


def _latin1_bytes(obj: Any = b"", encoding: Any = None, *rest: Any) -> bytes:
    if rest:
        _fail("bytes() with too many arguments")
    if isinstance(obj, str):
        if encoding not in ("latin1", "latin-1", "latin_1", "iso-8859-1"):
            _fail(f"text encoded as {encoding!r}, only latin-1 is admitted")
        return obj.encode("latin-1")
    if isinstance(obj, (bytes, bytearray)) and encoding is None:
        return bytes(obj)
    _fail(f"bytes() of {type(obj).__name__}")


def _bytearray(obj: Any = b"", encoding: Any = None) -> bytearray:
    return bytearray(_latin1_bytes(obj, encoding))


def _codecs_encode(obj: Any, encoding: Any = "utf-8", errors: Any = "strict") -> bytes:
    if errors != "strict":
        _fail("_codecs.encode with an error handler")
    return _latin1_bytes(obj, encoding)


def _frombuffer(buf: Any, dtype: Any, shape: Any, order: Any) -> npt.NDArray[Any]:
    if isinstance(buf, pickle.PickleBuffer):
        buf = bytes(buf.raw())
    if not isinstance(buf, (bytes, bytearray)):
        _fail("_frombuffer of a non-bytes buffer")
    dtype = _canonical(dtype)
    if dtype.hasobject:
        _fail("_frombuffer with an object dtype")
    if not isinstance(shape, tuple) or not all(isinstance(v, int) for v in shape):
        _fail("_frombuffer with a bad shape")
    if order not in ("C", "F"):
        _fail("_frombuffer with a bad order")
    return np.frombuffer(buf, dtype=dtype).reshape(shape, order=order).copy()


def _bf16_to_f32(raw: bytes) -> npt.NDArray[np.float32]:
    bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
    return bits.view(np.float32)


def _int_tuple(v: Any, what: str) -> tuple[int, ...]:
    if not isinstance(v, tuple) or not all(isinstance(x, int) and x >= 0 for x in v):
        _fail(f"tensor {what} must be a tuple of non-negative integers")
    return v


_Factory = Callable[[_Limits], Any]


def _rebuild_tensor_factory(limits: _Limits) -> Callable[..., npt.NDArray[Any]]:
    def rebuild(storage: Any, offset: Any, size: Any, stride: Any, *rest: Any) -> npt.NDArray[Any]:
        if not isinstance(storage, _Storage) or storage.array is None:
            _fail("tensor without a decoded storage")
        if not isinstance(offset, int) or offset < 0:
            _fail("tensor storage offset must be a non-negative integer")
        size_t = _int_tuple(size, "size")
        stride_t = _int_tuple(stride, "stride")
        if len(size_t) != len(stride_t):
            _fail("tensor size and stride differ in length")
        arr = storage.array
        numel = math.prod(size_t)
        if numel * arr.dtype.itemsize > limits.max_bytes:
            _fail(f"tensor of {numel} elements is over the size limit")
        if numel == 0:
            return np.zeros(size_t, dtype=arr.dtype)
        last = offset + sum((n - 1) * s for n, s in zip(size_t, stride_t, strict=True))
        if last >= arr.shape[0]:
            _fail("tensor reaches past the end of its storage")
        index = np.full(size_t, offset, dtype=np.int64)
        for axis, (n, s) in enumerate(zip(size_t, stride_t, strict=True)):
            shape = [1] * len(size_t)
            shape[axis] = n
            index = index + (np.arange(n, dtype=np.int64) * s).reshape(shape)
        return np.asarray(arr[index])

    return rebuild


def _rebuild_parameter(data: Any, requires_grad: Any = False, *rest: Any) -> Any:
    if not isinstance(data, np.ndarray):
        _fail("parameter without tensor data")
    return data


def _load_from_bytes_factory(limits: _Limits) -> Callable[[Any], _Storage]:
    def load_from_bytes(blob: Any) -> _Storage:
        if not isinstance(blob, (bytes, bytearray)):
            _fail("torch storage payload is not bytes")
        return _legacy_storage(bytes(blob), limits)

    return load_from_bytes


def _legacy_storage(blob: bytes, limits: _Limits) -> _Storage:
    """Parse one storage in torch's legacy (non-zip) serialisation."""
    f = io.BytesIO(blob)
    if _Unpickler(f, limits).load() != _TORCH_MAGIC:
        _fail("torch storage payload has a bad magic number")
    if _Unpickler(f, limits).load() != _TORCH_PROTOCOL:
        _fail("torch storage payload has an unknown protocol version")
    info = _Unpickler(f, limits).load()
    if not isinstance(info, dict) or info.get("little_endian") is not True:
        _fail("torch storage payload is not little-endian")
    records: dict[str, _Storage] = {}
    result = _StorageUnpickler(f, limits, records).load()
    keys = _Unpickler(f, limits).load()
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        _fail("torch storage payload has a bad key list")
    for key in keys:
        st = records.get(key)
        if st is None:
            _fail(f"torch storage payload lists unknown storage {key!r}")
        head = f.read(8)
        if len(head) != 8:
            _fail("torch storage payload is truncated")
        n = int.from_bytes(head, "little", signed=True)
        if n != st.numel:
            _fail(f"torch storage {key!r} holds {n} elements, its record says {st.numel}")
        itemsize = 2 if st.stype.dtype == _BF16 else np.dtype(st.stype.dtype).itemsize
        if n * itemsize > limits.max_bytes:
            # also keeps the read size below sys.maxsize (read() would raise OverflowError)
            _fail(f"torch storage {key!r} of {n} elements is over the size limit")
        raw = f.read(n * itemsize)
        if len(raw) != n * itemsize:
            _fail("torch storage payload is truncated")
        if st.stype.dtype == _BF16:
            st.array = _bf16_to_f32(raw)
        else:
            st.array = np.frombuffer(raw, dtype=np.dtype(st.stype.dtype)).copy()
    if not isinstance(result, _Storage) or result.array is None:
        _fail("torch storage payload holds no storage data")
    return result


def _function(fn: Callable[..., Any]) -> _Factory:
    return lambda limits: _Callable(fn)


def _made_by(factory: Callable[[_Limits], Callable[..., Any]]) -> _Factory:
    return lambda limits: _Callable(factory(limits))


def _storage_type(name: str) -> _Factory:
    return lambda limits: _StorageType(name)


def _builtin_type(cls: type) -> _Factory:
    # Immutable built-in types: neither BUILD nor setattr can change them.
    return lambda limits: cls


_ADMITTED: dict[tuple[str, str], _Factory] = {}
for _mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _ADMITTED[(_mod, "_reconstruct")] = _function(_reconstruct)
    _ADMITTED[(_mod, "scalar")] = _function(_scalar)
for _mod in ("numpy.core.numeric", "numpy._core.numeric"):
    _ADMITTED[(_mod, "_frombuffer")] = _function(_frombuffer)
_ADMITTED[("numpy", "ndarray")] = lambda limits: _NDArrayType()
_ADMITTED[("numpy", "dtype")] = _function(_dtype)
for _mod in ("builtins", "__builtin__"):
    for _cls in (dict, list, tuple, set, frozenset, int, float, complex, str, bool):
        _ADMITTED[(_mod, _cls.__name__)] = _builtin_type(_cls)
    _ADMITTED[(_mod, "bytes")] = _function(_latin1_bytes)
    _ADMITTED[(_mod, "bytearray")] = _function(_bytearray)
_ADMITTED[("collections", "OrderedDict")] = _builtin_type(collections.OrderedDict)
_ADMITTED[("_codecs", "encode")] = _function(_codecs_encode)
_ADMITTED[("torch._utils", "_rebuild_tensor_v2")] = _made_by(_rebuild_tensor_factory)
_ADMITTED[("torch._utils", "_rebuild_tensor")] = _made_by(_rebuild_tensor_factory)
_ADMITTED[("torch._utils", "_rebuild_parameter")] = _function(_rebuild_parameter)
_ADMITTED[("torch.storage", "_load_from_bytes")] = _made_by(_load_from_bytes_factory)
for _name in _STORAGE_DTYPES:
    _ADMITTED[("torch", _name)] = _storage_type(_name)


_OPCODES = {op.code.encode("latin-1"): op for op in pickletools.opcodes}
_LENGTH_WIDTH = {
    pickletools.TAKEN_FROM_ARGUMENT1: (1, False),
    pickletools.TAKEN_FROM_ARGUMENT4: (4, True),
    pickletools.TAKEN_FROM_ARGUMENT4U: (4, False),
    pickletools.TAKEN_FROM_ARGUMENT8U: (8, False),
}


def _check_lengths(fh: IO[bytes]) -> None:
    """Walk the opcodes (building nothing) and refuse a length field that is larger than
    the data left: the C unpickler would allocate it first (and CPython 3.11 prints a
    stray SystemError when a huge BYTEARRAY8 cannot be allocated). Anything else that
    is wrong is left for the unpickler to report."""
    start = fh.tell()
    end = fh.seek(0, io.SEEK_END)
    fh.seek(start)
    try:
        while True:
            op = _OPCODES.get(fh.read(1))
            if op is None or op.name == "STOP":
                return
            n = op.arg.n if op.arg is not None else 0
            if n >= 0:
                fh.seek(n, io.SEEK_CUR)
            elif n == pickletools.UP_TO_NEWLINE:
                fh.readline()
                if op.arg is not None and op.arg.name == "stringnl_noescape_pair":
                    fh.readline()  # GLOBAL and INST: module and name lines
            else:
                width, signed = _LENGTH_WIDTH[n]
                raw = fh.read(width)
                if len(raw) < width:
                    return
                size = int.from_bytes(raw, "little", signed=signed)
                left = end - fh.tell()
                if size > left:
                    _fail(
                        f"{op.name} at byte {fh.tell() - width - 1} declares {size} bytes, "
                        f"only {left} follow"
                    )
                fh.seek(max(size, 0), io.SEEK_CUR)
    finally:
        fh.seek(start)


class _Reader:
    """Only ``read`` and ``readline``: without ``readinto`` the C unpickler never lends a
    buffer of its own objects to the stream (CPython 3.11 leaves a bytearray with an
    exported buffer behind when a truncated BYTEARRAY8 is read through ``readinto``)."""

    __slots__ = ("_fh",)

    def __init__(self, fh: IO[bytes]) -> None:
        self._fh = fh

    def read(self, n: int = -1) -> bytes:
        return self._fh.read(n)

    def readline(self, n: int = -1) -> bytes:
        return self._fh.readline(n)


class _Unpickler(pickle.Unpickler):
    def __init__(self, fh: IO[bytes], limits: _Limits) -> None:
        # latin1: Python 2 pickles (old TSN / two-stream files) hold numpy data as str.
        super().__init__(_Reader(fh), encoding="latin1")
        self._fh = fh
        self._limits = limits

    def load(self) -> Any:
        _check_lengths(self._fh)
        with warnings.catch_warnings():
            # protocol-0 strings with bad escapes warn (DeprecationWarning) before failing
            warnings.simplefilter("ignore", DeprecationWarning)
            return super().load()

    def find_class(self, module: str, name: str) -> Any:
        factory = _ADMITTED.get((module, name))
        if factory is None:
            raise RefusedPickle(f"{module}.{name}")
        return factory(self._limits)

    def persistent_load(self, pid: Any) -> Any:
        raise RefusedPickle("a persistent id (external object reference)")


class _StorageUnpickler(_Unpickler):
    """Reads the storage record of torch's legacy format (persistent ids allowed)."""

    def __init__(self, fh: IO[bytes], limits: _Limits, records: dict[str, _Storage]) -> None:
        super().__init__(fh, limits)
        self._records = records

    def persistent_load(self, pid: Any) -> Any:
        if not isinstance(pid, tuple) or len(pid) not in (5, 6) or pid[0] != "storage":
            raise RefusedPickle("a persistent id other than a torch storage")
        _, stype, key, location, numel = pid[:5]
        view = pid[5] if len(pid) == 6 else None
        if not isinstance(stype, _StorageType):
            _fail("torch storage record without a storage type")
        if not isinstance(key, str) or not isinstance(location, str):
            _fail("torch storage record with a bad key or location")
        if not isinstance(numel, int) or numel < 0:
            _fail("torch storage record with a bad element count")
        if view is not None:
            _fail("torch storage views are not supported")
        if key not in self._records:
            self._records[key] = _Storage(stype, numel)
        return self._records[key]


def restricted_load(fh: IO[bytes], *, max_bytes: int) -> Any:
    """Unpickle one object from ``fh`` admitting only the globals listed above.

    Parameters
    ----------
    fh : binary file object
    max_bytes : int
        Largest tensor (in bytes) that a torch payload may expand to.

    Raises
    ------
    RefusedPickle
        The pickle names a global outside the admitted set (nothing is imported).
    PickleDataError
        An admitted global got arguments it does not accept.
    Exception
        Whatever ``pickle`` and ``numpy`` raise for a corrupt stream
        (``UnpicklingError``, ``EOFError``, ``ValueError``, ``TypeError``, ...);
        callers turn these into :class:`~fusionlab.errors.ScoreFileError`.
    """
    return _Unpickler(fh, _Limits(max_bytes)).load()

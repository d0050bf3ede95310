"""Model files as data: what ``kmix.load`` reads and what it checks before it builds an estimator.

A model file is what ``save`` writes with ``np.savez``: a zip archive of uncompressed (stored)
.npy members, ``__header__.npy`` holding JSON (format, version, class, params, fitted
attributes), and one member per array the JSON refers to (``param.<name>.npy``,
``attr.<name>.npy``). Reading it:

1. the zip directory only: every member stored uncompressed, unencrypted, with its sizes
   agreeing and lying inside the file, no name twice;
2. the JSON header (at most 1 MiB, parsed without ever evaluating anything), its fields, the
   class, and which arrays it refers to; the members must be exactly those (no other member is
   read, or accepted);
3. the .npy header of each of those members (dtype among plain bool/int/uint/float, shape, and
   that the data it declares is exactly what the member stores);
4. the class's schema on the declared dtypes and shapes (in terms of the parameters:
   n_clusters, n_features_in_, covariance_type, ...) before any array data is read;
5. the array data, then the schema again on the values (finite where they must be, labels in
   range, a valid merge tree, Cholesky factors, ...) and the estimator's own parameter checks.

Anything wrong raises ModelFileError naming the file and the member or header field. Nothing
is unpickled and no object array is built: the only parsers are zipfile's directory reader,
``json`` and ``ast.literal_eval`` on the (bounded) .npy header. ``save`` runs the same checks
on what it is about to write, so a file it writes is one ``load`` accepts.
"""

import inspect
import os
import threading
import warnings

import numpy as np

FORMAT_NAME = "kmix-model"
FORMAT_VERSION = 1

_MAX_HEADER_JSON = 1 << 20  # bytes of JSON in __header__.npy
_MAX_NPY_HEADER = 1 << 12  # bytes of a member's .npy header dict (np.savez writes ~120)
_MAX_MEMBERS = 64  # a model file has at most ~12
_MAX_NDIM = 3  # the most any schema needs (full covariances)
_INT64 = (-(1 << 63), (1 << 63) - 1)
_HEADER = "__header__"
_NUMPY_MAGIC = b"\x93NUMPY"
_RS_KEYS = {"__random_state__", "kind", "pos", "has_gauss", "gauss"}
_FLOATS = ("float32", "float64")
_WARNINGS_LOCK = threading.Lock()  # see _Model.own_checks
# CPython before 3.12 keeps the AST constructor's recursion depth in state shared by all threads:
# two threads parsing at once can fail with a spurious SystemError (python/cpython#106905), seen
# here when threads load models concurrently. The headers are tiny, so one parse at a time.
_PARSE_LOCK = threading.Lock()


class ModelFileError(ValueError):
    """Exception raised by :func:`kmix.load` for a file it refuses.

    The file is not a kmix model file, or is truncated, corrupt, or holds something its class's
    schema does not allow. It is a ``ValueError``, whose message is
    ``"<path>: <member>: <message>"``.

    Parameters
    ----------
    path : str
        The file.
    member : str
        Where in the file the fault is: a member (``"attr.labels_"``), a header field
        (``"header.params.n_clusters"``), or the zip ``"archive"`` itself.
    message : str
        What is wrong there.

    Attributes
    ----------
    path : str
        The file.
    member : str
        The member or header field at fault.

    See Also
    --------
    kmix.load : Read an estimator written by ``save``.

    Examples
    --------
    >>> import os
    >>> import tempfile
    >>> import kmix
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "notes.txt")
    ...     with open(path, "w") as f:
    ...         _ = f.write("not a model")
    ...     try:
    ...         kmix.load(path)
    ...     except kmix.ModelFileError as exc:
    ...         print(exc.member, isinstance(exc, ValueError))
    archive True
    """

    def __init__(self, path, member, message):
        self.path, self.member = path, member
        super().__init__(f"{path}: {member}: {message}")


class _Bad(Exception):
    """Internal: what is wrong and where; load turns it into ModelFileError, save into ValueError."""

    def __init__(self, where, message):
        super().__init__(where, message)
        self.where, self.message = where, message


# ---- reading ---------------------------------------------------------------------------------
def load(path):
    """Read, check and build the estimator in ``path``; see the module docstring.

    A path that cannot be opened raises what ``open`` raises (FileNotFoundError, IsADirectoryError,
    PermissionError), as for any other file API: there is no file content to judge. Everything
    after opening raises ModelFileError."""
    import struct
    import zipfile

    name = os.fspath(path)
    with open(name, "rb") as f:
        reader = _Reader(f, name)
        try:
            return reader.read()
        except _Bad as bad:
            raise ModelFileError(name, bad.where, bad.message) from None
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            EOFError,
            OSError,
            struct.error,
            ValueError,
            UnicodeDecodeError,
            OverflowError,
            IndexError,
            KeyError,
            RuntimeError,
        ) as exc:
            # zipfile's own findings on a damaged archive (bad magic, CRC, truncated data...).
            raise ModelFileError(name, reader.where, f"unreadable: {type(exc).__name__}: {exc}") from exc


class _Reader:
    def __init__(self, f, name):
        self.f, self.name, self.where = f, name, "archive"

    def read(self):
        import zipfile

        size = os.fstat(self.f.fileno()).st_size
        try:
            zf = zipfile.ZipFile(self.f)
        except zipfile.BadZipFile as exc:
            raise _Bad("archive", f"not a kmix model file (not a zip archive: {exc})") from None
        infos = zf.infolist()
        if len(infos) > _MAX_MEMBERS:
            raise _Bad("archive", f"{len(infos)} members; a model file has at most {_MAX_MEMBERS}")
        members = {}
        for info in infos:
            if info.filename in members:
                raise _Bad(_member(info.filename), "appears twice in the archive")
            members[info.filename] = info
        if _HEADER + ".npy" not in members:
            raise _Bad(_HEADER, "missing: not a kmix model file")
        self.where = _HEADER
        header = self._read_json(zf, members[_HEADER + ".npy"], size)
        cls, entries = _parse_header(header)
        wanted = [key for key, kind, _ in entries.values() if kind in ("array", "rs")]
        expected = {_HEADER + ".npy"} | {key + ".npy" for key in wanted}
        for info in infos:
            if info.filename not in expected:
                raise _Bad(_member(info.filename), "not a member this model's header refers to")
        for key in wanted:
            if key + ".npy" not in members:
                raise _Bad(key, "missing: the header refers to it")
        declared = {}
        for key in wanted:
            self.where = key
            declared[key] = self._npy_header(zf, members[key + ".npy"], size)
        # The schema on the declared dtypes and shapes, before any array data is read:
        # stand-ins of the declared dtype and shape that hold no memory.
        standins = {key: np.broadcast_to(np.zeros((), dtype), shape) for key, (dtype, shape, _, _) in declared.items()}
        _check(cls, entries, standins, values=False)
        arrays = {}
        for key in wanted:
            self.where = key
            arrays[key] = self._npy_data(zf, members[key + ".npy"], declared[key])
        self.where = "archive"
        return _check(cls, entries, arrays, values=True)

    def _open(self, zf, info, size):
        import zipfile

        where = _member(info.filename)
        if info.flag_bits & 0x1:
            raise _Bad(where, "encrypted")
        if info.compress_type != zipfile.ZIP_STORED:
            raise _Bad(where, f"compressed (method {info.compress_type}); model files store members uncompressed")
        if info.file_size != info.compress_size:
            raise _Bad(where, f"sizes disagree: {info.file_size} bytes stored as {info.compress_size}")
        if info.header_offset < 0 or info.header_offset + 30 + len(info.filename) + info.compress_size > size:
            raise _Bad(
                where,
                f"declares {info.compress_size} bytes at offset {info.header_offset}, "
                f"past the end of the {size}-byte file",
            )
        return zf.open(info)

    def _npy_header(self, zf, info, size):
        """(dtype, shape, fortran_order, header bytes) of a member, checked against its size."""
        import ast
        import struct

        where = _member(info.filename)
        with self._open(zf, info, size) as fp:
            start = fp.read(8)
            if len(start) != 8 or start[:6] != _NUMPY_MAGIC:
                raise _Bad(where, "not a .npy array (no .npy magic)")
            major, minor = start[6], start[7]
            if (major, minor) == (1, 0):
                fmt, encoding = "<H", "latin1"
            elif (major, minor) in ((2, 0), (3, 0)):
                fmt, encoding = "<I", "latin1" if major == 2 else "utf8"
            else:
                raise _Bad(where, f"unknown .npy format version {major}.{minor}")
            raw_len = fp.read(struct.calcsize(fmt))
            if len(raw_len) != struct.calcsize(fmt):
                raise _Bad(where, "truncated .npy header")
            hlen = struct.unpack(fmt, raw_len)[0]
            if hlen > _MAX_NPY_HEADER:
                raise _Bad(where, f".npy header of {hlen} bytes; at most {_MAX_NPY_HEADER} accepted")
            raw = fp.read(hlen)
            if len(raw) != hlen:
                raise _Bad(where, "truncated .npy header")
        try:
            with _PARSE_LOCK:
                d = ast.literal_eval(raw.decode(encoding))
        except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError, UnicodeDecodeError):
            raise _Bad(where, "unparseable .npy header") from None
        if not isinstance(d, dict) or set(d) != {"descr", "fortran_order", "shape"}:
            raise _Bad(where, "the .npy header is not a dict of descr, fortran_order and shape")
        shape, fortran, descr = d["shape"], d["fortran_order"], d["descr"]
        if not isinstance(shape, tuple) or len(shape) > _MAX_NDIM or not all(type(s) is int and s >= 0 for s in shape):
            raise _Bad(where, f"invalid shape {shape!r} in the .npy header")
        if not isinstance(fortran, bool):
            raise _Bad(where, "invalid fortran_order in the .npy header")
        dtype = _plain_dtype(descr, where)
        offset = len(start) + len(raw_len) + hlen
        nbytes = dtype.itemsize * int(np.prod(shape, dtype=object))
        if offset + nbytes != info.file_size:
            raise _Bad(
                where,
                f"declares shape {shape} of {dtype} ({nbytes} bytes of data) but stores "
                f"{info.file_size - offset} bytes",
            )
        return dtype, shape, fortran, offset

    def _npy_data(self, zf, info, declared):
        dtype, shape, fortran, offset = declared
        where = _member(info.filename)
        nbytes = info.file_size - offset
        with zf.open(info) as fp:
            if len(fp.read(offset)) != offset:
                raise _Bad(where, "truncated")
            data = fp.read(nbytes)  # the member's last bytes: zipfile checks its CRC here
            if len(data) != nbytes or fp.read(1):
                raise _Bad(where, "truncated")
        arr = np.frombuffer(data, dtype=dtype)
        arr = arr.reshape(shape[::-1]).T if fortran else arr.reshape(shape)
        return np.array(arr, dtype=dtype.newbyteorder("="), order="C")  # own, aligned, writeable copy

    def _read_json(self, zf, info, size):
        import json

        declared = self._npy_header(zf, info, size)
        dtype, shape, _, _ = declared
        if dtype != np.uint8 or len(shape) != 1:
            raise _Bad(_HEADER, f"must be a 1-D uint8 array; got {dtype} of shape {shape}")
        if shape[0] > _MAX_HEADER_JSON:
            raise _Bad(_HEADER, f"{shape[0]} bytes of JSON; at most {_MAX_HEADER_JSON} accepted")
        raw = self._npy_data(zf, info, declared).tobytes()
        try:
            header = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError, MemoryError) as exc:  # UnicodeDecodeError is a ValueError
            raise _Bad(_HEADER, f"not valid JSON ({type(exc).__name__}: {str(exc)[:200]})") from None
        if not isinstance(header, dict):
            raise _Bad(_HEADER, f"must be a JSON object; got {type(header).__name__}")
        return header


def _member(filename):
    return filename[:-4] if filename.endswith(".npy") else filename


def _plain_dtype(descr, where):
    """The dtype of a .npy descr if it is plain bool/int/uint/float (at most 8 bytes, little-endian
    or native); nothing structured, no objects."""
    if not isinstance(descr, str) or len(descr) > 8:
        raise _Bad(where, f"dtype {descr!r} is not a plain numeric dtype")
    try:
        dtype = np.dtype(descr)
    except (TypeError, ValueError, SyntaxError):
        raise _Bad(where, f"dtype {descr!r} is not a numpy dtype") from None
    if (
        dtype.kind not in "biuf"
        or dtype.itemsize > 8
        or dtype.fields is not None
        or dtype.subdtype is not None
        or not (dtype.isnative or dtype.byteorder == "<")
    ):
        raise _Bad(where, f"dtype {descr!r} is not a plain little-endian bool, int, uint or float dtype")
    return dtype


# ---- the header ------------------------------------------------------------------------------
def _parse_header(header):
    """(class, entries) from the header's JSON: entries maps "param.<name>" / "attr.<name>" to
    (array key or None, kind, value), kind one of "scalar", "array", "rs" (a RandomState: value
    is the JSON dict, its key array under the key)."""
    from ._base import _REGISTRY

    allowed = {"format", "version", "class", "kmix_version", "params", "fitted"}
    for key in header:
        if key not in allowed:
            raise _Bad(f"header.{str(key)[:80]}", "not a field of a model file header")
    for key in ("format", "version", "class", "params", "fitted"):
        if key not in header:
            raise _Bad(f"header.{key}", "missing")
    if header["format"] != FORMAT_NAME:
        raise _Bad("header.format", f"not a kmix model file (format {str(header['format'])[:80]!r})")
    version = header["version"]
    if type(version) is not int or version < 1:
        raise _Bad("header.version", f"must be a positive int; got {str(version)[:80]!r}")
    if version > FORMAT_VERSION:
        raise _Bad(
            "header.version",
            f"written by a newer kmix (format {version}); this kmix reads format {FORMAT_VERSION} and older",
        )
    if "kmix_version" in header and not isinstance(header["kmix_version"], str):
        raise _Bad("header.kmix_version", "must be a string")
    name = header["class"]
    if not isinstance(name, str) or name not in _SCHEMAS:
        raise _Bad("header.class", f"unknown estimator class {str(name)[:80]!r}")
    if name.startswith("dask.") and name not in _REGISTRY:
        try:
            from . import dask  # noqa: F401  (registers kmix.dask's classes)
        except ImportError:
            raise _Bad("header.class", f"{name} needs kmix.dask: pip install 'dask[array]' distributed") from None
    cls = _REGISTRY.get(name)
    if cls is None or cls._save_name != name:
        raise _Bad("header.class", f"unknown estimator class {name!r}")
    entries = {}
    for section, prefix, names in (
        ("params", "param", cls._get_param_names()),
        ("fitted", "attr", cls._fitted_attributes),
    ):
        values = header[section]
        if not isinstance(values, dict):
            raise _Bad(f"header.{section}", "must be a JSON object")
        for key, value in values.items():
            if section == "fitted" and key == "feature_names_in_":  # a list of strings (see _check)
                if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                    raise _Bad("header.fitted.feature_names_in_", "must be a list of strings")
                entries["attr.feature_names_in_"] = (None, "names", value)
                continue
            if key not in names:
                raise _Bad(
                    f"header.{section}.{str(key)[:80]}",
                    f"not a {'parameter' if section == 'params' else 'fitted attribute'} of {name}",
                )
            entries[f"{prefix}.{key}"] = _entry(f"{prefix}.{key}", f"header.{section}.{key}", value)
    return cls, entries


def _entry(key, where, value):
    if value is None or isinstance(value, (bool, str, float)):
        return None, "scalar", value
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise _Bad(where, "an int out of the 64-bit range")
        return None, "scalar", value
    if isinstance(value, dict) and set(value) == {"__array__"}:
        if value["__array__"] != key:
            raise _Bad(where, f"refers to member {str(value['__array__'])[:80]!r}; expected {key!r}")
        return key, "array", None
    if isinstance(value, dict) and set(value) == _RS_KEYS:
        if value["__random_state__"] != key:
            raise _Bad(where, f"refers to member {str(value['__random_state__'])[:80]!r}; expected {key!r}")
        return key, "rs", value
    raise _Bad(where, f"a {type(value).__name__} is not a value a model file holds")


# ---- the schema ------------------------------------------------------------------------------
class _Model:
    """One model under check: its class, header entries and arrays (real, or stand-ins of the
    declared dtype and shape when values=False). The schema functions below ask it for
    parameters and attributes, each checked as it is asked for."""

    def __init__(self, cls, entries, arrays, values):
        self.cls, self.entries, self.arrays, self.values = cls, entries, arrays, values
        self.dims = {}
        self.defaults = {p.name: p.default for p in inspect.signature(cls.__init__).parameters.values()}
        self.seen = set()

    # -- looking up
    def _get(self, key):
        _, kind, value = self.entries[key]
        if kind == "array":
            return self.arrays[key]
        if kind == "rs":
            return ("rs", value, self.arrays[key])
        return value

    @staticmethod
    def _where(key, kind):
        if kind in ("array", "rs"):
            return key
        section, name = key.split(".", 1)
        return f"header.{'params' if section == 'param' else 'fitted'}.{name}"

    def where(self, key):
        return self._where(key, self.entries[key][1] if key in self.entries else "scalar")

    def param(self, name):
        key = f"param.{name}"
        return self._get(key) if key in self.entries else self.defaults[name]

    def has(self, name):
        return f"attr.{name}" in self.entries

    def fitted(self, required, optional=()):
        """Whether the model is fitted: either every required attribute is there or none is."""
        present = [n for n in required if self.has(n)]
        extra = [n for n in optional if self.has(n)]
        for name in self.cls._fitted_attributes:
            if name not in required and name not in optional and self.has(name):
                raise _Bad(self.where(f"attr.{name}"), "has no schema")
        if not present and not extra:
            return False
        missing = [n for n in required if not self.has(n)]
        if missing:
            raise _Bad(
                f"attr.{missing[0]}",
                f"missing: a fitted {self.cls.__name__} has it (the file holds {', '.join(present + extra)})",
            )
        return True

    # -- scalars
    def _scalar(self, key, what):
        _, kind, value = self.entries[key]
        if kind != "scalar":
            raise _Bad(key, f"must be {what} in the header, not an array")
        return value

    def int_param(self, name, low):
        value = self.param(name)
        if f"param.{name}" in self.entries:
            self._scalar(f"param.{name}", "an int")
        if type(value) is not int or value < low:
            raise _Bad(self.where(f"param.{name}"), f"must be an int >= {low}; got {str(value)[:80]!r}")
        return value

    def option_param(self, name, options):
        value = self.param(name)
        if not isinstance(value, str) or value not in options:
            raise _Bad(
                self.where(f"param.{name}"), f"must be one of {', '.join(map(repr, options))}; got {str(value)[:80]!r}"
            )
        return value

    def attr_int(self, name, low, high=None):
        value = self._scalar(f"attr.{name}", "an int")
        if type(value) is not int or value < low or (high is not None and value > high):
            span = f">= {low}" if high is None else f"in [{low}, {high}]"
            raise _Bad(self.where(f"attr.{name}"), f"must be an int {span}; got {str(value)[:80]!r}")
        return value

    def attr_float(self, name, low=-np.inf, finite=True):
        value = self._scalar(f"attr.{name}", "a number")
        if (
            type(value) not in (int, float)
            or np.isnan(float(value))
            or value == np.inf
            or value < low
            or (finite and not np.isfinite(float(value)))
        ):
            need = "finite" if finite else "a number below +inf"
            raise _Bad(
                self.where(f"attr.{name}"),
                f"must be {need}{'' if low == -np.inf else f' >= {low}'}; got {str(value)[:80]!r}",
            )
        return float(value)

    def attr_bool(self, name):
        value = self._scalar(f"attr.{name}", "a bool")
        if type(value) is not bool:
            raise _Bad(self.where(f"attr.{name}"), f"must be true or false; got {str(value)[:80]!r}")
        return value

    # -- arrays
    def array(self, key, dtypes, shape):
        """The array under key, checked: dtype among dtypes (names, or "numeric" for any plain
        one), and shape, a tuple of ints and dimension names: a name already known must match,
        a new one is taken from the array (and must be >= 1)."""
        where = key
        _, kind, _ = self.entries[key]
        if kind not in ("array", "rs"):
            raise _Bad(self.where(key), "must be an array")
        self.seen.add(key)
        arr = self.arrays[key]
        if dtypes != "numeric" and arr.dtype.name not in dtypes:
            raise _Bad(where, f"dtype {arr.dtype}; expected {' or '.join(dtypes)}")
        if arr.ndim != len(shape):
            raise _Bad(where, f"{arr.ndim}-D of shape {arr.shape}; expected {len(shape)}-D ({_names(shape)})")
        new = {}
        for size, dim in zip(arr.shape, shape):
            want = dim if isinstance(dim, int) else self.dims.get(dim, new.get(dim))
            if want is None:
                if size < 1:
                    raise _Bad(where, f"shape {arr.shape}: {dim} must be >= 1")
                new[dim] = size
            elif size != want:
                expected = tuple(d if isinstance(d, int) else self.dims.get(d, new.get(d, "?")) for d in shape)
                raise _Bad(where, f"shape {arr.shape}; expected ({_names(shape)}) = {expected}")
        self.dims.update(new)
        return arr

    def attr_array(self, name, dtypes, shape):
        return self.array(f"attr.{name}", dtypes, shape)

    def param_array(self, name, shape):
        """A parameter that may be an array (init, means_init, ...): checked if it is one."""
        key = f"param.{name}"
        if key in self.entries and self.entries[key][1] == "array":
            arr = self.array(key, "numeric", shape)
            self.finite(key, arr)
            return arr
        return None

    # -- values (only once the data are read)
    def finite(self, where, arr, low=None):
        if not self.values or arr.size == 0:
            return
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise _Bad(where, "holds NaN or infinity")
        if low is not None and (arr < low).any():
            raise _Bad(where, f"holds values below {low}")

    def in_range(self, where, arr, high, what):
        if self.values and arr.size and (arr.min() < 0 or arr.max() >= high):
            raise _Bad(where, f"values must be in [0, {what}) = [0, {high}); they span [{arr.min()}, {arr.max()}]")

    def random_state(self, key, allow_none=False):
        """A RandomState entry: seed None/int, or the state of an MT19937 generator."""
        value = self._get(key) if key in self.entries else None
        where = self.where(key)
        if value is None and (allow_none or key.startswith("param.")):
            return
        if type(value) is int and key.startswith("param."):
            if not 0 <= value < 2**32:
                raise _Bad(where, f"a seed must be in [0, 2**32 - 1]; got {value}")
            return
        if not (isinstance(value, tuple) and value[0] == "rs"):
            raise _Bad(where, f"must be None, a seed or a RandomState; got {str(value)[:80]!r}")
        _, state, keys = value
        if state["kind"] != "MT19937":
            raise _Bad(where, f"kind must be 'MT19937'; got {str(state['kind'])[:80]!r}")
        if type(state["pos"]) is not int or not 0 <= state["pos"] <= 624:
            raise _Bad(where, f"pos must be an int in [0, 624]; got {str(state['pos'])[:80]!r}")
        if state["has_gauss"] not in (0, 1) or type(state["has_gauss"]) not in (int, bool):
            raise _Bad(where, f"has_gauss must be 0 or 1; got {str(state['has_gauss'])[:80]!r}")
        if type(state["gauss"]) not in (int, float) or not np.isfinite(state["gauss"]):
            raise _Bad(where, f"gauss must be a finite number; got {str(state['gauss'])[:80]!r}")
        self.array(key, ("uint32",), (624,))

    # -- the estimator
    def build(self):
        """The estimator from the checked entries (values phase only)."""
        params, fitted = {}, {}
        for key, (_, kind, value) in self.entries.items():
            section, name = key.split(".", 1)
            if kind == "array":
                value = self.arrays[key]
            elif kind == "names":
                continue  # set by _check, once the schema knows n_features_in_
            elif kind == "rs":
                value = np.random.RandomState()
                value.set_state(
                    (
                        self.entries[key][2]["kind"],
                        self.arrays[key],
                        self.entries[key][2]["pos"],
                        int(self.entries[key][2]["has_gauss"]),
                        float(self.entries[key][2]["gauss"]),
                    )
                )
            (params if section == "param" else fitted)[name] = value
        est = self.cls(**params)
        for name, value in fitted.items():
            setattr(est, name, value)
        return est

    def own_checks(self, est, check):
        """Run the estimator's own parameter validation (what fit would check); its ValueError or
        TypeError is the file's fault."""
        from ._threads import effective_n_threads
        from ._validation import check_random_state, validate_params

        try:
            # catch_warnings swaps the process-wide filter list (except on 3.14t, whose warnings
            # context is per thread): two loads or saves overlapping here could each restore the
            # list the other saved, leaving "ignore" in it for good (seen on 3.13t, and possible
            # under a GIL that switches threads). The lock keeps kmix's own checks from
            # overlapping; as with any catch_warnings, other threads' warnings can be hidden
            # while one runs, and their own catch_warnings can still interleave with it.
            with _WARNINGS_LOCK, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                validate_params(est)  # the parameter table, then what fit checks besides
                check(est)
                effective_n_threads(est.n_threads)
                seed = getattr(est, "random_state", None)
                if not isinstance(seed, np.random.RandomState):
                    check_random_state(seed)
        except (ValueError, TypeError) as exc:
            raise _Bad("header.params", f"the parameters fail {type(est).__name__}'s checks: {exc}") from None


def _names(shape):
    return ", ".join(str(d) for d in shape)


def _dummy_X(n, d, dtype=np.float64):
    """An (n, d) array that holds no memory, for parameter checks that only look at X's shape."""
    return np.broadcast_to(np.zeros((), dtype=dtype), (n, d))


# ---- per class -------------------------------------------------------------------------------
def _check_centroid_model(m, *, attrs, optional=(), minibatch=False, soft=False):
    """KMeans, kmix.dask.KMeans, MiniBatchKMeans, SoftKMeans."""
    k = m.int_param("n_clusters", 1)
    m.dims["n_clusters"] = k
    fitted = m.fitted(attrs, optional)
    dtype = np.float64
    if fitted:
        m.dims["n_features_in_"] = m.attr_int("n_features_in_", 1)
        centers = m.attr_array("cluster_centers_", _FLOATS, ("n_clusters", "n_features_in_"))
        m.finite("attr.cluster_centers_", centers)
        dtype = centers.dtype
        m.attr_int("n_iter_", 0)
        if m.has("labels_"):
            labels = m.attr_array(
                "labels_", ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"), ("n_samples",)
            )
            m.in_range("attr.labels_", labels, k, "n_clusters")
        if m.has("inertia_"):
            m.attr_float("inertia_", low=0.0)
        if minibatch:
            m.attr_int("n_steps_", 0)
            m.attr_int("_n_since_last_reassign", 0)
            m.attr_int("_batch_size", 1)
            counts = m.attr_array("_counts", (centers.dtype.name,), ("n_clusters",))
            m.finite("attr._counts", counts, low=0)
            if m.has("_random_state"):
                m.random_state("attr._random_state", allow_none=True)
    m.param_array("init", ("n_clusters", "n_features_in_"))
    m.random_state("param.random_state")
    if not m.values:
        return None
    est = m.build()
    X = _dummy_X(k, m.dims.get("n_features_in_", 1), dtype)

    def check(est):
        if minibatch:
            _, kind, _, _, _ = est._check_minibatch_params(X)
        elif soft:
            _, _, kind, _ = est._check_soft_params(X)
        else:
            _, kind, _ = est._check_params(X)
        if kind == "array":
            est._check_centers(est.init, X, "init")

    m.own_checks(est, check)
    return est


_KMEANS_ATTRS = ("cluster_centers_", "labels_", "inertia_", "n_iter_", "n_features_in_")


def _check_kmeans(m):
    return _check_centroid_model(m, attrs=_KMEANS_ATTRS)


def _check_dask_kmeans(m):
    return _check_centroid_model(m, attrs=_KMEANS_ATTRS)  # its extra parameters: its table


def _check_minibatch(m):
    # labels_ and inertia_ depend on compute_labels (fit always sets inertia_, partial_fit only
    # with compute_labels); _random_state is set by partial_fit only.
    return _check_centroid_model(
        m,
        attrs=(
            "cluster_centers_",
            "n_iter_",
            "n_steps_",
            "n_features_in_",
            "_counts",
            "_n_since_last_reassign",
            "_batch_size",
        ),
        optional=("labels_", "inertia_", "_random_state"),
        minibatch=True,
    )


def _check_soft(m):
    return _check_centroid_model(m, attrs=("cluster_centers_", "labels_", "n_iter_", "n_features_in_"), soft=True)


_COV_SHAPES = {
    "full": ("n_components", "n_features_in_", "n_features_in_"),
    "tied": ("n_features_in_", "n_features_in_"),
    "diag": ("n_components", "n_features_in_"),
    "spherical": ("n_components",),
}


def _check_mixture_arrays(m, k, ct):
    """The fitted arrays GaussianMixture and BayesianGaussianMixture share: n_features_in_,
    means_ (whose dtype the others must have), weights_, covariances_, precisions_ and their
    Cholesky factors, converged_, n_iter_, lower_bound_ and lower_bounds_, each finite where it
    must be. Returns (d, dtype, weights, covariances, precisions, chol, bounds)."""
    cov = _COV_SHAPES[ct]
    d = m.dims["n_features_in_"] = m.attr_int("n_features_in_", 1)
    means = m.attr_array("means_", _FLOATS, ("n_components", "n_features_in_"))
    same = (means.dtype.name,)
    weights = m.attr_array("weights_", same, ("n_components",))
    covariances = m.attr_array("covariances_", same, cov)
    precisions = m.attr_array("precisions_", same, cov)
    chol = m.attr_array("precisions_cholesky_", same, cov)
    m.attr_bool("converged_")
    m.dims["n_iter_"] = m.attr_int("n_iter_", 0)
    m.attr_float("lower_bound_", finite=False)
    bounds = m.attr_array("lower_bounds_", ("float64",), ("n_iter_",))
    for name, arr in (
        ("means_", means),
        ("covariances_", covariances),
        ("precisions_", precisions),
        ("precisions_cholesky_", chol),
    ):
        m.finite(f"attr.{name}", arr)
    m.finite("attr.weights_", weights, low=0)
    return d, means.dtype, weights, covariances, precisions, chol, bounds


def _check_mixture_values(m, k, ct, d, weights, covariances, precisions, chol, bounds):
    """What the shared arrays' values must satisfy (only when the file's values are read):
    lower_bounds_ without NaN or +inf, weights summing to 1, the matrices consistent."""
    if bounds.size and (np.isnan(bounds).any() or (bounds == np.inf).any()):
        raise _Bad("attr.lower_bounds_", "holds NaN or +infinity")
    total = float(weights.sum(dtype=np.float64))
    if abs(total - 1.0) > 1e-6 + 4 * k * np.finfo(weights.dtype).eps:
        raise _Bad("attr.weights_", f"must sum to 1; they sum to {total!r}")
    _check_gmm_matrices(ct, d, covariances, precisions, chol)


def _check_gmm(m):
    """GaussianMixture and kmix.dask.GaussianMixture."""
    k = m.int_param("n_components", 1)
    m.dims["n_components"] = k
    ct = m.option_param("covariance_type", tuple(_COV_SHAPES))
    cov = _COV_SHAPES[ct]
    fitted = m.fitted(
        (
            "weights_",
            "means_",
            "covariances_",
            "precisions_",
            "precisions_cholesky_",
            "converged_",
            "n_iter_",
            "lower_bound_",
            "lower_bounds_",
            "n_features_in_",
        )
    )
    dtype = np.float64
    if fitted:
        d, dtype, weights, covariances, precisions, chol, bounds = _check_mixture_arrays(m, k, ct)
        if m.values:
            _check_mixture_values(m, k, ct, d, weights, covariances, precisions, chol, bounds)
    for name, shape in (
        ("weights_init", ("n_components",)),
        ("means_init", ("n_components", "n_features_in_")),
        ("precisions_init", cov),
    ):
        m.param_array(name, shape)
    m.random_state("param.random_state")
    if not m.values:
        return None
    est = m.build()
    X = _dummy_X(k, m.dims.get("n_features_in_", 1), dtype)
    m.own_checks(est, lambda est: est._check_params(X))
    return est


def _check_bgmm(m):
    """BayesianGaussianMixture: the mixture's arrays as GaussianMixture's, the posterior's
    parameters (weight_concentration_ is a (2, n_components) array for the Dirichlet process:
    the pair of Beta parameters, made a tuple again on load) and the priors in use."""
    k = m.int_param("n_components", 1)
    m.dims["n_components"] = k
    ct = m.option_param("covariance_type", tuple(_COV_SHAPES))
    dp = (
        m.option_param("weight_concentration_prior_type", ("dirichlet_process", "dirichlet_distribution"))
        == "dirichlet_process"
    )
    prior_shape = ("n_features_in_",) * (2 if ct in ("full", "tied") else 1)
    fitted = m.fitted(
        (
            "weights_",
            "means_",
            "covariances_",
            "precisions_",
            "precisions_cholesky_",
            "weight_concentration_",
            "mean_precision_",
            "degrees_of_freedom_",
            "converged_",
            "n_iter_",
            "lower_bound_",
            "lower_bounds_",
            "n_features_in_",
            "weight_concentration_prior_",
            "mean_precision_prior_",
            "mean_prior_",
            "degrees_of_freedom_prior_",
            "covariance_prior_",
        )
    )
    dtype = np.float64
    if fitted:
        d, dtype, weights, covariances, precisions, chol, bounds = _check_mixture_arrays(m, k, ct)
        same = (dtype.name,)
        concentration = m.attr_array("weight_concentration_", same, (2, "n_components") if dp else ("n_components",))
        beta = m.attr_array("mean_precision_", same, ("n_components",))
        if ct == "tied":
            m.attr_float("degrees_of_freedom_", low=d - 1)
        else:
            dof = m.attr_array("degrees_of_freedom_", same, ("n_components",))
            m.finite("attr.degrees_of_freedom_", dof)
            if m.values and not (dof > d - 1).all():
                raise _Bad("attr.degrees_of_freedom_", f"must be above n_features - 1 = {d - 1}")
        for name, arr in (("weight_concentration_", concentration), ("mean_precision_", beta)):
            m.finite(f"attr.{name}", arr)
            if m.values and not (arr > 0).all():
                raise _Bad(f"attr.{name}", "must be positive")
        m.attr_float("weight_concentration_prior_", low=0)
        m.attr_float("mean_precision_prior_", low=0)
        m.attr_float("degrees_of_freedom_prior_", low=d - 1)
        m.finite("attr.mean_prior_", m.attr_array("mean_prior_", same, ("n_features_in_",)))
        if ct == "spherical":
            m.attr_float("covariance_prior_", low=0)
        else:
            prior = m.attr_array("covariance_prior_", same, prior_shape)
            m.finite("attr.covariance_prior_", prior)
        if m.values:
            _check_mixture_values(m, k, ct, d, weights, covariances, precisions, chol, bounds)
            if ct != "spherical" and not (
                (prior > 0).all() if ct == "diag" else (np.linalg.eigvalsh(prior.astype(np.float64)) > 0).all()
            ):
                raise _Bad("attr.covariance_prior_", "must be positive (definite)")
    m.param_array("mean_prior", ("n_features_in_",))
    if ct != "spherical":
        m.param_array("covariance_prior", prior_shape)
    m.random_state("param.random_state")
    if not m.values:
        return None
    est = m.build()
    if fitted and dp:
        a, b = est.weight_concentration_
        est.weight_concentration_ = (a, b)
    X = _dummy_X(max(k, 2), m.dims.get("n_features_in_", 1), dtype)
    m.own_checks(est, lambda est: est._priors(X, None))
    return est


def _check_gmm_matrices(ct, d, covariances, precisions, chol):
    """Cholesky factors of the precisions: upper triangular with a positive diagonal (full, tied),
    positive (diag, spherical); the precisions their products; covariances symmetric with a
    positive diagonal (full, tied), positive (diag, spherical)."""
    if ct in ("diag", "spherical"):
        if not (chol > 0).all():
            raise _Bad("attr.precisions_cholesky_", f"must be positive for covariance_type={ct!r}")
        if not (covariances > 0).all():
            raise _Bad("attr.covariances_", f"must be positive for covariance_type={ct!r}")
        products, scale = chol.astype(np.float64) ** 2, chol.astype(np.float64) ** 2
    else:
        U = chol.reshape(-1, d, d).astype(np.float64)
        if np.tril(U, -1).any():
            raise _Bad("attr.precisions_cholesky_", "must be upper triangular (zeros below the diagonal)")
        if not (np.diagonal(U, axis1=1, axis2=2) > 0).all():
            raise _Bad("attr.precisions_cholesky_", "must have a positive diagonal")
        C = covariances.reshape(-1, d, d).astype(np.float64)
        if not (np.diagonal(C, axis1=1, axis2=2) > 0).all():
            raise _Bad("attr.covariances_", "must have a positive diagonal")
        tol = 1e-5 if covariances.dtype == np.float32 else 1e-10
        if (np.abs(C - np.swapaxes(C, 1, 2)) > tol * np.abs(C).max(axis=(1, 2), keepdims=True)).any():
            raise _Bad("attr.covariances_", "must be symmetric")
        products = np.matmul(U, np.swapaxes(U, 1, 2)).reshape(precisions.shape)
        scale = np.matmul(np.abs(U), np.swapaxes(np.abs(U), 1, 2)).reshape(precisions.shape)
    tol = 1e-5 if precisions.dtype == np.float32 else 1e-12
    if (np.abs(precisions.astype(np.float64) - products) > tol * scale).any():
        raise _Bad("attr.precisions_", "must be the product of precisions_cholesky_ with its transpose")


def _check_agglomerative(m):
    fitted = m.fitted(
        ("labels_", "n_clusters_", "n_leaves_", "children_", "n_features_in_"),
        ("distances_", "n_connected_components_"),
    )
    ints = ("int32", "int64")
    if fitted:
        n = m.attr_int("n_leaves_", 2)
        m.dims["n_leaves_"] = n
        n_clusters = m.attr_int("n_clusters_", 1, n)
        m.attr_int("n_features_in_", 1)
        if m.has("n_connected_components_"):
            m.attr_int("n_connected_components_", 1, n)
        # The whole tree (n − 1 merges), or one stopped at n_clusters_ (connectivity with
        # compute_full_tree False): n − n_clusters_ merges.
        children = m.attr_array("children_", ints, ("merges", 2))
        merges = m.dims["merges"]
        if merges not in (n - 1, n - n_clusters):
            raise _Bad(
                "attr.children_",
                f"{merges} merges; a tree over n_leaves_ = {n} leaves has {n - 1}, or "
                f"n_leaves_ − n_clusters_ = {n - n_clusters} when it stopped early",
            )
        labels = m.attr_array("labels_", ints, ("n_leaves_",))
        m.in_range("attr.labels_", labels, n_clusters, "n_clusters_")
        if m.has("distances_"):
            m.finite("attr.distances_", m.attr_array("distances_", ("float64",), ("merges",)))
        if m.values:
            _check_merge_tree(children, n)
    m.param_array("connectivity", ("n_leaves_", "n_leaves_"))
    if not m.values:
        return None
    est = m.build()

    def check(est):
        est._check_params()
        if fitted and est.n_clusters is not None and est.n_clusters != est.n_clusters_:
            raise ValueError(f"n_clusters={est.n_clusters} but n_clusters_={est.n_clusters_}")
        if fitted and est.metric == "precomputed" and est.n_features_in_ != est.n_leaves_:
            raise ValueError(f"metric='precomputed' but n_features_in_={est.n_features_in_} != n_leaves_")

    m.own_checks(est, check)
    return est


def _check_merge_tree(children, n):
    """Row i merges two nodes formed before it (leaves 0..n-1, node n + j made by row j), and
    no node is merged twice: a binary tree over the n leaves (or a forest, when it stopped early)."""
    row_limit = n + np.arange(len(children))
    if children.size and ((children < 0).any() or (children >= row_limit[:, None]).any()):
        raise _Bad("attr.children_", "row i may only merge leaves and the nodes of rows before i")
    if np.unique(children).size != children.size:
        raise _Bad("attr.children_", "some node is merged twice (not a tree)")


_SCHEMAS = {
    "KMeans": _check_kmeans,
    "dask.KMeans": _check_dask_kmeans,
    "MiniBatchKMeans": _check_minibatch,
    "SoftKMeans": _check_soft,
    "GaussianMixture": _check_gmm,
    "dask.GaussianMixture": _check_gmm,
    "BayesianGaussianMixture": _check_bgmm,
    "SphericalKMeans": _check_kmeans,
    "MiniBatchSphericalKMeans": _check_minibatch,
    "AgglomerativeClustering": _check_agglomerative,
}


def _check(cls, entries, arrays, values):
    """The class's schema on the entries (shapes and dtypes; with values=True also the values
    and the estimator's own checks). Returns the estimator when values=True."""
    model = _Model(cls, entries, arrays, values)
    est = _SCHEMAS[cls._save_name](model)
    if "attr.feature_names_in_" in entries:  # the column names of a data frame fit saw
        names = entries["attr.feature_names_in_"][2]
        d = model.dims.get("n_features_in_")
        if d is None or len(names) != d:
            raise _Bad("header.fitted.feature_names_in_", f"{len(names)} names for n_features_in_={d}")
        if est is not None:
            est.feature_names_in_ = np.asarray(names, dtype=object)
    for key, (_, kind, _) in entries.items():  # an array nothing in the schema asked for
        if kind in ("array", "rs") and key not in model.seen:
            raise _Bad(model._where(key, "scalar"), "must not be an array")
    return est


# ---- writing and re-checking -----------------------------------------------------------------
def encode(est):
    """(header, arrays) that save writes for est: the params and fitted attributes as JSON, the
    arrays (and RandomState keys) by name."""
    from . import __version__

    arrays, params, fitted = {}, {}, {}
    for name, value in est.get_params().items():
        params[name] = _encode(value, f"param.{name}", arrays)
    for name in est._fitted_attributes:
        if hasattr(est, name):
            fitted[name] = _encode(getattr(est, name), f"attr.{name}", arrays)
    if "feature_names_in_" in est.__dict__:
        fitted["feature_names_in_"] = [str(n) for n in est.feature_names_in_]
    header = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "class": type(est)._save_name,
        "kmix_version": __version__,
        "params": params,
        "fitted": fitted,
    }
    return header, arrays


def check_encoded(header, arrays):
    """The schema check of load on a header and its arrays as save would write them; returns
    the estimator they make. Raises _Bad."""
    cls, entries = _parse_header(header)
    keys = {key for key, kind, _ in entries.values() if kind in ("array", "rs")}
    if set(arrays) != keys:
        raise _Bad("archive", f"arrays {sorted(set(arrays) ^ keys)} do not match the header")
    normalized = {}
    for key, arr in arrays.items():
        arr = np.asarray(arr)
        _plain_dtype(arr.dtype.str, key)
        if arr.ndim > _MAX_NDIM:
            raise _Bad(key, f"{arr.ndim}-D; at most {_MAX_NDIM}-D")
        normalized[key] = np.ascontiguousarray(arr)
    _check(cls, entries, normalized, values=False)
    return _check(cls, entries, normalized, values=True)


def check_estimator(est):
    """Check an estimator against its class's model-file schema, as load checks a file: raises
    ValueError naming the attribute or parameter at fault. (What save runs before writing.)"""
    _checked_encoding(est, "does not fit its model-file schema")


def _checked_encoding(est, what):
    """(header, arrays) of est, checked against its schema; ValueError saying `what` otherwise."""
    header, arrays = encode(est)
    try:
        check_encoded(header, arrays)
    except _Bad as bad:
        raise ValueError(f"{type(est).__name__} {what}: {bad.where}: {bad.message}") from None
    return header, arrays


def _encode(value, key, arrays):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.random.RandomState):
        kind, keys, pos, has_gauss, gauss = value.get_state()
        arrays[key] = keys
        return {
            "__random_state__": key,
            "kind": kind,
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "gauss": float(gauss),
        }
    if isinstance(value, (np.ndarray, list, tuple)):
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{key.split('.', 1)[1]} holds a {arr.dtype} array, which save() cannot write")
        arrays[key] = arr if arr.dtype.isnative else arr.astype(arr.dtype.newbyteorder("="))
        return {"__array__": key}
    raise TypeError(
        f"{key.split('.', 1)[1]}={value!r} cannot be saved (only numbers, strings, arrays "
        "and RandomState); set it to one of those with set_params before save()"
    )


def save(est, path):
    """Write est to path (np.savez: stored .npy members and the JSON header), after checking it
    against its schema as load will."""
    import json

    header, arrays = _checked_encoding(
        est, "cannot be saved (kmix.load would refuse the file): it does not fit its model-file schema"
    )
    text = json.dumps(header).encode()
    if len(text) > _MAX_HEADER_JSON:
        raise ValueError(
            f"{type(est).__name__} cannot be saved: its header (parameters, feature names) takes "
            f"{len(text)} bytes of JSON; a model file holds at most {_MAX_HEADER_JSON}"
        )
    arrays[_HEADER] = np.frombuffer(text, dtype=np.uint8)
    with open(os.fspath(path), "wb") as f:
        np.savez(f, **arrays)
    return path

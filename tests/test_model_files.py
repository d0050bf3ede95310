"""Model files are data, checked as data: kmix.load reads only the members a class's schema
expects, checks their dtypes, shapes (in terms of the parameters) and values before it builds an
estimator, and refuses anything else with kmix.ModelFileError naming the file and the member.

The mutation test loads well over 1,000 files made by damaging real model files (byte flips,
truncation, members swapped between classes, resized or retyped members, changed header
fields, junk members) and sees only that error, or an estimator that passes the same schema
and whose methods run on a small X without raising anything but ValueError/TypeError."""

import io
import json
import os
import pickle
import struct
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest

import kmix
from kmix import _model_files

X_FIT = np.random.RandomState(0).normal(size=(40, 3)) + np.repeat(np.eye(3) * 4, [14, 13, 13], axis=0)


# ---- building and taking apart model files ---------------------------------------------------
def npy_bytes(arr, allow_pickle=False):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asanyarray(arr), allow_pickle=allow_pickle)
    return buf.getvalue()


def read_members(path):
    """{member name: bytes} of a file we wrote ourselves."""
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def write_members(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def array_of(data):
    return np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)


def header_of(members):
    return json.loads(array_of(members["__header__.npy"]).tobytes().decode())


def with_header(members, header, raw=None):
    out = dict(members)
    text = raw if raw is not None else json.dumps(header).encode()
    out["__header__.npy"] = npy_bytes(np.frombuffer(text, dtype=np.uint8))
    return out


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def base_models():
    """(label, estimator) pairs: every class, fitted in its variants, and unfitted."""
    X, X32 = X_FIT, X_FIT.astype(np.float32)
    out = [
        ("kmeans64", kmix.KMeans(3, random_state=0, n_init=2).fit(X)),
        ("kmeans32", kmix.KMeans(3, init=X32[[0, 15, 30]], random_state=np.random.RandomState(4)).fit(X32)),
        ("minibatch", kmix.MiniBatchKMeans(3, batch_size=10, random_state=0).fit(X)),
        ("minibatch_nolabels", kmix.MiniBatchKMeans(3, compute_labels=False, random_state=1).partial_fit(X32)),
        ("soft", kmix.SoftKMeans(3, beta=2.0, random_state=0).fit(X)),
        ("agglo", kmix.AgglomerativeClustering(3).fit(X)),
        ("agglo_dist", kmix.AgglomerativeClustering(None, distance_threshold=3.0, linkage="average").fit(X)),
        ("spherical", kmix.SphericalKMeans(3, random_state=0).fit(X)),
        ("minibatch_spherical", kmix.MiniBatchSphericalKMeans(3, batch_size=10, random_state=0).fit(X32)),
        ("unfitted_spherical", kmix.SphericalKMeans(3, init=X[:3])),
        ("unfitted_kmeans", kmix.KMeans(4, tol=0.5)),
        ("unfitted_gmm", kmix.GaussianMixture(2, means_init=np.zeros((2, 3)), covariance_type="diag")),
        ("unfitted_minibatch", kmix.MiniBatchKMeans(2, random_state=np.random.RandomState(2))),
        ("unfitted_agglo", kmix.AgglomerativeClustering(4, linkage="single")),
    ]
    for ct in ("full", "tied", "diag", "spherical"):
        data = X32 if ct == "tied" else X
        extra = {"weights_init": np.array([0.25, 0.75])} if ct == "diag" else {}
        out.append((f"gmm_{ct}", quiet(kmix.GaussianMixture(2, covariance_type=ct, random_state=0, **extra).fit, data)))
        prior = "dirichlet_process" if ct in ("full", "diag") else "dirichlet_distribution"
        given = {"covariance_prior": np.eye(3)} if ct == "tied" else {"mean_prior": np.ones(3)} if ct == "diag" else {}
        out.append(
            (
                f"bgmm_{ct}",
                quiet(
                    kmix.BayesianGaussianMixture(
                        n_components=3,
                        covariance_type=ct,
                        weight_concentration_prior_type=prior,
                        random_state=0,
                        **given,
                    ).fit,
                    X32 if ct == "spherical" else X,
                ),
            )
        )
    out.append(
        (
            "unfitted_bgmm",
            kmix.BayesianGaussianMixture(
                n_components=2, covariance_type="diag", covariance_prior=np.ones(3), mean_prior=np.zeros(3)
            ),
        )
    )
    try:
        import kmix.dask as kd
    except ImportError:  # kmix.dask needs dask; the in-memory classes are still tested
        return out
    out.append(("dask_kmeans", kd.KMeans(3, random_state=0).fit(X)))
    out.append(("dask_gmm", quiet(kd.GaussianMixture(2, covariance_type="diag", random_state=0).fit, X)))
    out.append(("unfitted_dask_gmm", kd.GaussianMixture(3, covariance_type="tied")))
    return out


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """{label: (estimator, path, {member: bytes})}"""
    folder = tmp_path_factory.mktemp("models")
    out = {}
    for label, est in base_models():
        path = folder / f"{label}.npz"
        est.save(path)
        out[label] = (est, path, read_members(path))
    return out


def load_error(path):
    """The ModelFileError that loading path raises (and fails the test if it raises anything else
    or loads)."""
    with pytest.raises(kmix.ModelFileError) as info:
        kmix.load(path)
    assert type(info.value) is kmix.ModelFileError
    assert str(path) in str(info.value)
    return info.value


# ---- what a loaded model must survive --------------------------------------------------------
def exercise(est):
    """The loaded estimator passes the schema again, and its methods on a small finite X either
    work or raise ValueError/TypeError (never anything else, never a crash)."""
    _model_files.check_estimator(est)
    d = getattr(est, "n_features_in_", 3)
    X = np.random.RandomState(1).normal(size=(5, d))
    calls = {
        "predict": lambda: est.predict(X),
        "transform": lambda: est.transform(X),
        "score": lambda: est.score(X),
        "predict_proba": lambda: est.predict_proba(X),
        "score_samples": lambda: est.score_samples(X),
        "partial_fit": lambda: est.partial_fit(X),
    }
    results = {}
    for name, call in calls.items():
        if not hasattr(est, name):
            continue
        try:
            results[name] = quiet(call)
        except (ValueError, TypeError):
            continue
    k = getattr(est, "n_clusters", None) or getattr(est, "n_components", None)
    if "predict" in results and k is not None and hasattr(est, "cluster_centers_"):
        labels = results["predict"]
        assert labels.min() >= 0 and labels.max() < est.cluster_centers_.shape[0]
    if "predict" in results and hasattr(est, "means_"):
        assert results["predict"].min() >= 0 and results["predict"].max() < est.means_.shape[0]
    return results


# ---- the mutations ---------------------------------------------------------------------------
def _array_members(members):
    return [name for name in members if name != "__header__.npy"]


def flip_bytes(rng, raw, **_):
    data = bytearray(raw)
    for pos in rng.integers(0, len(data), size=rng.integers(1, 4)):
        data[pos] ^= int(rng.integers(1, 256))
    return bytes(data)


def truncate(rng, raw, **_):
    return raw[: int(rng.integers(0, len(raw)))]


def resize_member(rng, members, **_):
    names = _array_members(members)
    if not names:
        return None
    name = names[rng.integers(len(names))]
    arr = array_of(members[name])
    how = rng.integers(6)
    if how == 0 and arr.ndim and arr.shape[0]:
        arr = arr[:-1]  # a row removed
    elif how == 1 and arr.ndim:
        arr = np.concatenate([arr, arr[:1]]) if arr.shape[0] else np.zeros((1,) + arr.shape[1:], arr.dtype)
    elif how == 2:
        with np.errstate(over="ignore", invalid="ignore"):
            arr = arr.astype(rng.choice(["float32", "float64", "int32", "int64", "uint8", "bool", "float16"]))
    elif how == 3:
        arr = arr.reshape(-1)
    elif how == 4 and arr.ndim:
        arr = arr[..., :-1] if arr.shape[-1] else arr
    else:
        arr = np.zeros((0,) + arr.shape[1:], arr.dtype)
    out = dict(members)
    out[name] = npy_bytes(arr)
    return out


def change_values(rng, members, **_):
    names = [n for n in _array_members(members) if array_of(members[n]).size]
    if not names:
        return None
    name = names[rng.integers(len(names))]
    arr = array_of(members[name]).copy()
    flat = arr.reshape(-1)
    i = rng.integers(flat.size)
    if arr.dtype.kind == "f":
        flat[i] = rng.choice([np.nan, np.inf, -np.inf, -1.0, 0.0, 1e30, -flat[i]])
    elif arr.dtype.kind in "iu":
        flat[i] = (
            rng.choice([-1, 0, 1, 3, 10_000, np.iinfo(arr.dtype).max])
            if arr.dtype.kind == "i"
            else rng.choice([0, 3, np.iinfo(arr.dtype).max])
        )
    out = dict(members)
    out[name] = npy_bytes(arr)
    return out


def swap_members(rng, members, other, **_):
    """A member of a file of another class put in this one: in place of one of ours, under its
    own name, or the other file's header over our arrays."""
    how = rng.integers(3)
    out = dict(members)
    theirs = _array_members(other)
    if how == 0 and theirs and _array_members(members):
        ours = _array_members(members)
        out[ours[rng.integers(len(ours))]] = other[theirs[rng.integers(len(theirs))]]
    elif how == 1 and theirs:
        name = theirs[rng.integers(len(theirs))]
        out[name] = other[name]
    else:
        out["__header__.npy"] = other["__header__.npy"]
    return out


CLASS_NAMES = [
    "KMeans",
    "MiniBatchKMeans",
    "SoftKMeans",
    "SphericalKMeans",
    "MiniBatchSphericalKMeans",
    "GaussianMixture",
    "BayesianGaussianMixture",
    "AgglomerativeClustering",
    "dask.KMeans",
    "dask.GaussianMixture",
    "Pipeline",
    "",
    None,
    3,
    ["KMeans"],
]
JUNK_VALUES = [
    None,
    True,
    -1,
    0,
    1,
    2,
    7,
    2**40,
    2**70,
    -(2**70),
    0.5,
    float("nan"),
    float("inf"),
    "full",
    "diag",
    "spherical",
    "tied",
    "lloyd",
    "auto",
    "k-means++",
    [],
    [1, 2],
    {},
    {"a": 1},
    {"__array__": "attr.labels_"},
    {"__array__": "param.init"},
    {"__array__": "../etc/passwd"},
    {"__random_state__": "param.random_state", "kind": "MT19937", "pos": 700, "has_gauss": 0, "gauss": 0.0},
]


def change_header(rng, members, **_):
    header = header_of(members)
    how = rng.integers(11)
    if how == 0:
        header["class"] = CLASS_NAMES[rng.integers(len(CLASS_NAMES))]
    elif how == 1:
        header["version"] = [0, 2, 99, "1", 1.0, None, -1][rng.integers(7)]
    elif how == 2:
        header["format"] = ["kmix", "", None, "kmix-model "][rng.integers(4)]
    elif how in (3, 4, 5):  # a parameter or fitted attribute changed
        section = "params" if how != 5 or not header["fitted"] else "fitted"
        keys = sorted(header[section])
        favourites = [
            k
            for k in (
                "n_clusters",
                "n_components",
                "covariance_type",
                "n_features_in_",
                "n_leaves_",
                "n_clusters_",
                "n_iter_",
                "init",
            )
            if k in keys
        ]
        key = (
            favourites[rng.integers(len(favourites))]
            if favourites and rng.random() < 0.6
            else keys[rng.integers(len(keys))]
        )
        value = header[section][key]
        if isinstance(value, int) and not isinstance(value, bool) and rng.random() < 0.5:
            header[section][key] = value + int(rng.choice([-1, 1, -value, 1000]))
        else:
            header[section][key] = JUNK_VALUES[rng.integers(len(JUNK_VALUES))]
    elif how == 6:  # a field removed, or an unknown one added
        section = ["params", "fitted", None][rng.integers(3)]
        if section is None:
            header.pop(sorted(header)[rng.integers(len(header))])
        elif header[section] and rng.random() < 0.5:
            header[section].pop(sorted(header[section])[rng.integers(len(header[section]))])
        else:
            header[section]["__class__"] = {"__array__": "attr.__class__"}
    elif how == 7:  # random JSON junk
        raw = bytes(rng.integers(0, 256, size=rng.integers(0, 64), dtype=np.uint8))
        return with_header(members, None, raw=[raw, b"{" + raw, b"[]", b"null", b'"x"', b"1e999"][rng.integers(6)])
    elif how == 8:  # deeply nested JSON
        depth = int(rng.choice([1000, 100_000, 400_000]))
        return with_header(members, None, raw=b"[" * depth + b"]" * depth)
    elif how == 9:  # a huge list of member names / parameters
        n = int(rng.choice([1000, 50_000]))
        if rng.random() < 0.5:
            header["params"] = {f"p{i}": {"__array__": f"param.p{i}"} for i in range(n)}
        else:
            header["fitted"]["names"] = [f"attr.{i}" for i in range(n)]
    else:  # the whole header swapped for another type
        return with_header(members, None, raw=json.dumps([header, header]).encode())
    return with_header(members, header)


def junk_member(rng, members, **_):
    out = dict(members)
    how = rng.integers(5)
    if how == 0:  # random bytes under a new name
        out[f"junk{rng.integers(100)}.npy"] = bytes(rng.integers(0, 256, size=100, dtype=np.uint8))
    elif how == 1:  # a .npy header declaring 1 GiB with 16 bytes of data
        out[rng.choice(["junk.npy", "attr.labels_.npy"])] = npy_header_declaring((2**27,), "<f8") + b"\0" * 16
    elif how == 2:  # an object array (pickle) in place of a member
        names = _array_members(members) or ["attr.labels_.npy"]
        out[names[rng.integers(len(names))]] = npy_bytes(np.array([1, "x", None], dtype=object), allow_pickle=True)
    elif how == 3:  # a structured or big-endian array in place of a member
        names = _array_members(members) or ["param.init.npy"]
        dtype = np.dtype([("a", "<f8"), ("b", "<i4")]) if rng.random() < 0.5 else np.dtype(">f8")
        out[names[rng.integers(len(names))]] = npy_bytes(np.zeros(3, dtype=dtype))
    else:  # the header member declaring more than 1 MiB
        out["__header__.npy"] = npy_header_declaring((1 << 21,), "|u1") + b"{}"
    return out


def npy_header_declaring(shape, descr):
    text = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode()
    text += b" " * (63 - (len(text) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


MEMBER_MUTATIONS = [resize_member, change_values, swap_members, change_header, junk_member]
RAW_MUTATIONS = [flip_bytes, truncate]


def test_mutated_model_files_raise_only_model_file_error(models, tmp_path):
    rng = np.random.default_rng(20240611)
    labels = sorted(models)
    path = tmp_path / "mutant.npz"
    tried = refused = loaded = 0
    by_class = {}
    for round_ in range(7):
        for label in labels:
            _, base_path, members = models[label]
            raw = base_path.read_bytes()
            for mutate in (
                RAW_MUTATIONS + MEMBER_MUTATIONS + [change_header, resize_member, change_values, flip_bytes, flip_bytes]
            ):
                if mutate in RAW_MUTATIONS:
                    path.write_bytes(mutate(rng, raw))
                else:
                    other_label = labels[rng.integers(len(labels))]
                    other = models[other_label][2]
                    if type(models[other_label][0]) is type(models[label][0]):
                        other = models["gmm_full" if "gmm" not in label else "kmeans64"][2]
                    new = mutate(rng, members, other=other)
                    if new is None:
                        continue
                    compression = zipfile.ZIP_DEFLATED if rng.random() < 0.03 else zipfile.ZIP_STORED
                    write_members(path, new, compression)
                tried += 1
                try:
                    est = kmix.load(path)
                except kmix.ModelFileError as exc:
                    assert type(exc) is kmix.ModelFileError and str(path) in str(exc) and exc.member
                    refused += 1
                    continue
                exercise(est)
                loaded += 1
                by_class[type(est)._save_name] = by_class.get(type(est)._save_name, 0) + 1
    print(
        f"\nmutated model files: {tried} tried, {refused} refused with ModelFileError, {loaded} loaded "
        f"(by class: {by_class})"
    )
    assert tried >= 1000
    assert refused + loaded == tried
    # Both outcomes happen: harmless damage (a flipped byte in a zip timestamp, a header value
    # changed to another valid one) loads; the rest is refused.
    assert refused > tried // 2 and loaded > 20


# ---- the cases found broken before -----------------------------------------------------------
def replace_array(members, name, arr):
    out = dict(members)
    out[f"{name}.npy"] = npy_bytes(arr)
    return out


def test_short_counts_refused(models, tmp_path):
    _, _, members = models["minibatch"]
    counts = array_of(members["attr._counts.npy"])
    path = write_members(tmp_path / "m.npz", replace_array(members, "attr._counts", counts[:-1]))
    err = load_error(path)
    assert err.member == "attr._counts" and "(2,)" in str(err)
    # a _counts of the wrong dtype is refused too (partial_fit would update a converted copy)
    path = write_members(tmp_path / "m.npz", replace_array(members, "attr._counts", counts.astype(np.float32)))
    assert load_error(path).member == "attr._counts"
    # and negative counts
    path = write_members(tmp_path / "m.npz", replace_array(members, "attr._counts", -counts))
    assert load_error(path).member == "attr._counts"


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_short_weights_refused(models, tmp_path, covariance_type):
    _, _, members = models[f"gmm_{covariance_type}"]
    weights = array_of(members["attr.weights_.npy"])
    path = write_members(tmp_path / "m.npz", replace_array(members, "attr.weights_", weights[:1]))
    assert load_error(path).member == "attr.weights_"
    path = write_members(tmp_path / "m.npz", replace_array(members, "attr.weights_", weights * 2))
    assert "sum to 1" in str(load_error(path))


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_wrong_precisions_cholesky_refused(models, tmp_path, covariance_type):
    _, _, members = models[f"gmm_{covariance_type}"]
    chol = array_of(members["attr.precisions_cholesky_.npy"])
    wrong_shapes = [chol[:-1], np.concatenate([chol, chol]), chol[..., None]]
    wrong_shapes += [chol.reshape(-1), chol[..., :-1]] if chol.ndim > 1 else [chol[:0]]
    for bad in wrong_shapes:
        path = write_members(tmp_path / "m.npz", replace_array(members, "attr.precisions_cholesky_", bad))
        assert load_error(path).member == "attr.precisions_cholesky_"
    bad = chol.copy()
    if covariance_type in ("full", "tied"):
        bad.reshape(-1, *chol.shape[-2:])[0, -1, 0] = 0.5  # below the diagonal
    else:
        bad.reshape(-1)[0] = -bad.reshape(-1)[0]
    path = write_members(tmp_path / "m.npz", replace_array(members, "attr.precisions_cholesky_", bad))
    assert load_error(path).member == "attr.precisions_cholesky_"


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_covariance_type_not_matching_the_arrays_refused(models, tmp_path, covariance_type):
    _, _, members = models[f"gmm_{covariance_type}"]
    for other in {"full", "tied", "diag", "spherical"} - {covariance_type}:
        header = header_of(members)
        header["params"]["covariance_type"] = other
        path = write_members(tmp_path / "m.npz", with_header(members, header))
        err = load_error(path)
        assert err.member in ("attr.covariances_", "attr.precisions_", "attr.precisions_cholesky_")
        assert "shape" in str(err)


def test_zero_row_centers_refused(models, tmp_path):
    _, _, members = models["kmeans64"]
    centers = array_of(members["attr.cluster_centers_.npy"])
    path = write_members(tmp_path / "m.npz", replace_array(members, "attr.cluster_centers_", centers[:0]))
    assert load_error(path).member == "attr.cluster_centers_"
    header = header_of(members)
    header["params"]["n_clusters"] = 0  # and with n_clusters saying so
    path = write_members(
        tmp_path / "m.npz", with_header(replace_array(members, "attr.cluster_centers_", centers[:0]), header)
    )
    assert load_error(path).member == "header.params.n_clusters"
    # labels beyond the centers
    labels = array_of(members["attr.labels_.npy"]).copy()
    labels[0] = 72
    path = write_members(tmp_path / "m.npz", replace_array(members, "attr.labels_", labels))
    assert load_error(path).member == "attr.labels_"


def _peak_bytes(fn):
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_huge_declared_members_fail_fast_without_allocating(models, tmp_path):
    _, _, members = models["kmeans64"]
    # (1) a .npy header declaring 1 GiB of labels with 16 bytes of data
    out = dict(members)
    out["attr.labels_.npy"] = npy_header_declaring((2**27,), "<i8") + b"\0" * 16
    path = write_members(tmp_path / "a.npz", out)
    peak = _peak_bytes(lambda: load_error(path))
    assert peak < 4 << 20
    assert "attr.labels_" in str(load_error(path)) and "16 bytes" in str(load_error(path))
    # (2) an extra junk member declaring 1 GiB
    out = dict(members)
    out["junk.npy"] = npy_header_declaring((2**27,), "<f8") + b"\0" * 16
    path = write_members(tmp_path / "b.npz", out)
    assert load_error(path).member == "junk"
    assert _peak_bytes(lambda: load_error(path)) < 4 << 20
    # (3) the zip directory claiming 1 GiB for a member (sizes patched in the central directory)
    raw = bytearray(models["kmeans64"][1].read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as zf:
        info = zf.getinfo("attr.labels_.npy")
    entry = raw.find(b"attr.labels_.npy", raw.find(b"PK\x01\x02")) - 46  # its central directory entry
    assert raw[entry : entry + 4] == b"PK\x01\x02"
    struct.pack_into("<II", raw, entry + 20, 1 << 30, 1 << 30)  # compressed and uncompressed size
    path = tmp_path / "c.npz"
    path.write_bytes(bytes(raw))
    assert info.file_size < 1 << 20
    peak = _peak_bytes(lambda: load_error(path))
    assert peak < 4 << 20
    # (4) the header declaring more than 1 MiB of JSON
    out = dict(members)
    out["__header__.npy"] = npy_header_declaring((1 << 30,), "|u1") + b"{}"
    path = write_members(tmp_path / "d.npz", out)
    assert load_error(path).member == "__header__"


# ---- one error type for every damaged file ---------------------------------------------------
_TRIPPED = []


def _trip():
    _TRIPPED.append(1)
    return "tripped"


class Tripwire:
    def __reduce__(self):
        return (_trip, ())


def test_pickled_member_is_never_unpickled(models, tmp_path):
    _, _, members = models["kmeans64"]
    out = dict(members)
    out["attr.labels_.npy"] = npy_bytes(np.array([Tripwire()], dtype=object), allow_pickle=True)
    path = write_members(tmp_path / "m.npz", out)
    assert load_error(path).member == "attr.labels_"
    # a pickle in place of the header, and a pickle as the whole file
    out = dict(members)
    out["__header__.npy"] = npy_bytes(np.array([Tripwire()], dtype=object), allow_pickle=True)
    load_error(write_members(tmp_path / "h.npz", out))
    (tmp_path / "p.npz").write_bytes(pickle.dumps(Tripwire()))
    load_error(tmp_path / "p.npz")
    assert not _TRIPPED


@pytest.mark.parametrize(
    "content, member",
    [
        (b"", "archive"),
        (b"hello", "archive"),
        (b"\x93NUMPY\x01\x00", "archive"),
        (b"PK\x05\x06" + b"\0" * 18, "__header__"),
    ],
)  # an empty zip
def test_not_a_model_file(tmp_path, content, member):
    path = tmp_path / "x.npz"
    path.write_bytes(content)
    assert load_error(path).member == member


def test_other_npz_and_compressed_files_refused(models, tmp_path):
    np.savez(tmp_path / "plain.npz", a=np.arange(3))
    assert load_error(tmp_path / "plain.npz").member == "__header__"
    path = write_members(tmp_path / "z.npz", models["kmeans64"][2], compression=zipfile.ZIP_DEFLATED)
    assert "compressed" in str(load_error(path))
    # a model file with one extra member, harmless as it may look
    out = dict(models["kmeans64"][2])
    out["notes.txt"] = b"hello"
    assert load_error(write_members(tmp_path / "e.npz", out)).member == "notes.txt"


def test_header_faults_name_the_field(models, tmp_path):
    _, _, members = models["gmm_full"]
    cases = [
        (lambda h: h.update(version=2), "header.version"),
        (lambda h: h.update({"class": "Pipeline"}), "header.class"),
        (lambda h: h.pop("params"), "header.params"),
        (lambda h: h["params"].update(n_components="3"), "header.params.n_components"),
        (lambda h: h["params"].update(bogus=1), "header.params.bogus"),
        (lambda h: h["fitted"].update(n_features_in_=4), "attr.means_"),
        (lambda h: h["fitted"].pop("means_"), "attr.means_"),
        (lambda h: h["fitted"].update(converged_=1), "header.fitted.converged_"),
        (lambda h: h["params"].update(tol=float("nan")), "header.params"),
        (lambda h: h["params"].update(random_state=2**40), "header.params.random_state"),
    ]
    for i, (change, member) in enumerate(cases):
        header = header_of(members)
        change(header)
        assert load_error(write_members(tmp_path / f"{i}.npz", with_header(members, header))).member == member, i
    deep = with_header(members, None, raw=b"[" * 200_000 + b"]" * 200_000)  # RecursionError in json
    assert load_error(write_members(tmp_path / "deep.npz", deep)).member == "__header__"


def test_unfitted_and_partly_fitted(models, tmp_path):
    # an unfitted model file is legal; one with only some fitted attributes is not
    loaded = kmix.load(models["unfitted_gmm"][1])
    assert not hasattr(loaded, "means_") and loaded.means_init.shape == (2, 3)
    with pytest.raises(kmix.NotFittedError):
        loaded.predict(np.zeros((1, 3)))
    _, _, members = models["kmeans64"]
    header = header_of(members)
    del header["fitted"]["inertia_"]
    err = load_error(write_members(tmp_path / "m.npz", with_header(members, header)))
    assert err.member == "attr.inertia_" and "missing" in str(err)


def test_merge_tree_checked(models, tmp_path):
    _, _, members = models["agglo"]
    children = array_of(members["attr.children_.npy"]).copy()
    bad = children.copy()
    bad[0] = bad[-1]  # a node merged twice, and a row using a node made later
    assert (
        load_error(write_members(tmp_path / "a.npz", replace_array(members, "attr.children_", bad))).member
        == "attr.children_"
    )
    bad = children.copy()
    bad[0, 0] = bad[0, 1]
    assert (
        load_error(write_members(tmp_path / "b.npz", replace_array(members, "attr.children_", bad))).member
        == "attr.children_"
    )


def test_missing_file_is_file_not_found(tmp_path):
    # No file, no content to judge: what open() raises, as for any other file API.
    with pytest.raises(FileNotFoundError):
        kmix.load(tmp_path / "nothing.npz")


# ---- what still works --------------------------------------------------------------------------
def test_every_base_model_round_trips_bit_exact(models):
    for label, (est, path, _) in models.items():
        loaded = kmix.load(path)
        assert type(loaded) is type(est), label
        for name in est._fitted_attributes:
            assert hasattr(loaded, name) == hasattr(est, name), (label, name)
            if not hasattr(est, name):
                continue
            a, b = np.asarray(getattr(est, name)), np.asarray(getattr(loaded, name))
            if name == "_random_state":
                a, b = a.item().get_state()[1], b.item().get_state()[1]
            assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), (label, name)
        exercise(loaded)


def test_file_in_the_format_main_wrote_loads(tmp_path):
    """A file built as kmix's save has always built it (np.savez; header JSON as uint8) loads."""
    km = kmix.KMeans(2, random_state=0).fit(X_FIT)
    header = {
        "format": "kmix-model",
        "version": 1,
        "class": "KMeans",
        "kmix_version": "0.1.0",
        "params": {**{k: v for k, v in km.get_params().items()}},
        "fitted": {
            "cluster_centers_": {"__array__": "attr.cluster_centers_"},
            "labels_": {"__array__": "attr.labels_"},
            "inertia_": km.inertia_,
            "n_iter_": km.n_iter_,
            "n_features_in_": 3,
        },
    }
    path = tmp_path / "old.npz"
    np.savez(
        path,
        **{
            "attr.cluster_centers_": km.cluster_centers_,
            "attr.labels_": km.labels_,
            "__header__": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
        },
    )
    loaded = kmix.load(path)
    np.testing.assert_array_equal(loaded.cluster_centers_, km.cluster_centers_)
    np.testing.assert_array_equal(loaded.predict(X_FIT), km.predict(X_FIT))


def test_fortran_ordered_param_array_round_trips(tmp_path):
    init = np.asfortranarray(X_FIT[[0, 20]])
    km = kmix.KMeans(2, init=init).fit(X_FIT)
    km.save(tmp_path / "f.npz")
    loaded = kmix.load(tmp_path / "f.npz")
    np.testing.assert_array_equal(loaded.init, init)
    assert loaded.init.flags.c_contiguous and loaded.init.flags.writeable


def test_save_refuses_a_model_load_would_refuse(tmp_path):
    km = kmix.KMeans(3, random_state=0).fit(X_FIT)
    km.set_params(n_clusters=4)  # the params no longer describe the fitted centers
    with pytest.raises(ValueError, match="n_clusters"):
        km.save(tmp_path / "m.npz")
    assert not os.path.exists(tmp_path / "m.npz")
    gm = quiet(kmix.GaussianMixture(2, random_state=0).fit, X_FIT)
    gm.set_params(covariance_type="diag")
    with pytest.raises(ValueError, match="covariances_"):
        gm.save(tmp_path / "g.npz")


def test_loaded_arrays_are_writeable_and_contiguous(models):
    loaded = kmix.load(models["minibatch"][1])
    for name in ("cluster_centers_", "_counts", "labels_"):
        arr = getattr(loaded, name)
        assert arr.flags.writeable and arr.flags.c_contiguous and arr.flags.aligned, name
    before = loaded.cluster_centers_.copy()
    loaded.partial_fit(X_FIT[:10])
    assert not np.array_equal(before, loaded.cluster_centers_)


def test_error_class_is_public():
    assert "ModelFileError" in kmix.__all__ and issubclass(kmix.ModelFileError, ValueError)


def test_big_endian_param_array_is_written_native(tmp_path):
    init = X_FIT[[0, 20]].astype(">f8")
    km = kmix.KMeans(2, init=init).fit(X_FIT)
    km.save(tmp_path / "b.npz")
    loaded = kmix.load(tmp_path / "b.npz")
    assert loaded.init.dtype.isnative
    np.testing.assert_array_equal(loaded.init, init)


def test_centers_near_dtype_max_give_labels_in_range(tmp_path):
    # Finite centers near float32's maximum (a model the schema accepts): every squared distance
    # overflows float32, so predict and score work on data and centers scaled by a power of two.
    km = kmix.KMeans(2, random_state=0).fit(X_FIT.astype(np.float32))
    km.cluster_centers_[:] = np.float32(3e38)
    km.save(tmp_path / "m.npz")
    loaded = kmix.load(tmp_path / "m.npz")
    X = X_FIT[:5].astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(X), [0] * 5)  # equal centers: the first one
    expected = -((X.astype(np.float64) - 3e38) ** 2).sum()
    np.testing.assert_allclose(loaded.score(X), expected, rtol=1e-6)

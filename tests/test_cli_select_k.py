"""``kmix select-k FILE`` and ``kmix demo --plot``: good files of every format give the answer of
kmix.select_k on the same numbers (read back here with numpy), bad files and bad --k give exit
status 2 and a message naming the problem. The command runs in-process through kmix.cli.main
(which returns the exit status); one test runs ``python -m kmix.cli`` in a subprocess."""

import json
import re
import struct
import sys

import numpy as np
import pytest

import kmix
from kmix import cli
from conftest import run

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def polygon_blobs(k=3, n=90, d=2, seed=1, radius=10.0, std=1.0):
    """k unit-std blobs on a regular k-gon of radius 10 (well separated), n // k points each."""
    angles = 2 * np.pi * np.arange(k) / k + 0.3
    centers = np.zeros((k, d))
    centers[:, 0], centers[:, 1] = radius * np.cos(angles), radius * np.sin(angles)
    rng = np.random.default_rng(seed)
    return centers[np.arange(n) % k] + std * rng.standard_normal((n, d))


def kmix_main(argv, capsys):
    """(exit status, stdout, stderr) of ``kmix <argv>`` run in this process."""
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def png_size(path):
    """(width, height) from a PNG's IHDR chunk."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def assert_png(path, min_bytes=1000):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, data[:16]
    assert len(data) > min_bytes


def expected_dict(X, ks, method, seed=0, n_refs=10):
    return kmix.select_k(X, ks, method=method, random_state=seed, n_refs=n_refs).to_dict()


def assert_json_matches(path, X, ks, method, seed=0, n_refs=10):
    got = json.loads(path.read_text())
    exp = expected_dict(X, ks, method, seed, n_refs)
    assert got["method"] == method
    assert got["best_k"] == exp["best_k"]
    assert got["k_values"] == list(ks)
    assert got["n_samples"] == X.shape[0] and got["n_features"] == X.shape[1]
    assert set(got["scores"]) == set(exp["scores"])
    for name, values in exp["scores"].items():
        for g, e in zip(got["scores"][name], values):
            assert (g is None and e is None) or g == pytest.approx(e, rel=1e-12, abs=1e-12), name
    return got


# ---- good files ------------------------------------------------------------------------------
def write_file(tmp_path, kind, X):
    """X written in one of the accepted formats; returns the path."""
    if kind == "npy":
        path = tmp_path / "data.npy"
        np.save(path, X)
    elif kind == "npy_float32":
        path = tmp_path / "data.npy"
        np.save(path, X.astype(np.float32))
    elif kind == "csv_header":
        path = tmp_path / "data.csv"
        np.savetxt(
            path, X, delimiter=",", header=",".join(f"f{j}" for j in range(X.shape[1])), comments="", fmt="%.17g"
        )
    elif kind == "csv_quoted_header":
        path = tmp_path / "data.csv"
        lines = ['"x coord","y coord"'] + [",".join(repr(float(v)) for v in row) for row in X]
        path.write_text("\r\n".join(lines) + "\r\n")
    elif kind == "csv_plain":
        path = tmp_path / "data.csv"
        np.savetxt(path, X, delimiter=",", fmt="%.17g")
    elif kind == "csv_semicolon":
        path = tmp_path / "data.csv"
        np.savetxt(path, X, delimiter=";", fmt="%.17g")
    elif kind == "csv_blank_lines":
        path = tmp_path / "data.csv"
        lines = [",".join(repr(float(v)) for v in row) for row in X]
        path.write_text("\n".join(lines[:10] + [""] + lines[10:]) + "\n\n")
    elif kind == "tsv":
        path = tmp_path / "data.tsv"
        np.savetxt(path, X, delimiter="\t", header="a\tb", comments="", fmt="%.17g")
    elif kind == "txt_space":
        path = tmp_path / "data.txt"
        np.savetxt(path, X, fmt="%.17g")
    else:
        raise ValueError(kind)
    return path


def read_back(path):
    """The numbers of a written file, read independently with numpy."""
    if path.suffix == ".npy":
        return np.load(path).astype(np.float64)
    text = path.read_text()
    delim = "\t" if path.suffix == ".tsv" else (";" if ";" in text else ("," if "," in text else None))
    rows = [ln for ln in text.splitlines() if ln.strip()]
    if not re.match(r"^[-+0-9.eE\s,;]+$", rows[0]):  # header
        rows = rows[1:]
    return np.array([[float(c) for c in ln.split(delim)] for ln in rows])


FORMATS = [
    "npy",
    "npy_float32",
    "csv_header",
    "csv_quoted_header",
    "csv_plain",
    "csv_semicolon",
    "csv_blank_lines",
    "tsv",
    "txt_space",
]


@pytest.mark.parametrize("kind", FORMATS)
def test_formats(kind, tmp_path, capsys):
    X = polygon_blobs(3, n=90, seed=2)
    path = write_file(tmp_path, kind, X)
    out_json = tmp_path / "out.json"
    status, out, err = kmix_main(["select-k", path, "--k", "2-6", "--json", out_json], capsys)
    assert status == 0, err
    assert err == ""
    Xr = read_back(path)
    np.testing.assert_allclose(Xr, X, rtol=1e-6 if kind == "npy_float32" else 0)
    got = assert_json_matches(out_json, Xr, [2, 3, 4, 5, 6], "silhouette")
    assert got["best_k"] == 3


def test_fixed_width_txt(tmp_path, capsys):
    # A whitespace-aligned text file, as np.savetxt(fmt="%10.4f") writes (runs of spaces).
    X = polygon_blobs(3, n=60, seed=3)
    path = tmp_path / "aligned.txt"
    np.savetxt(path, X, fmt="%10.4f")
    out_json = tmp_path / "out.json"
    status, out, err = kmix_main(["select-k", path, "--k", "2-5", "--json", out_json], capsys)
    assert status == 0, err
    Xr = np.loadtxt(path)
    assert_json_matches(out_json, Xr, [2, 3, 4, 5], "silhouette")


def test_one_column_and_1d_npy(tmp_path, capsys):
    x = np.concatenate([np.random.default_rng(4).normal(c, 0.5, 30) for c in (0.0, 10.0, 20.0)])
    np.save(tmp_path / "x.npy", x)  # 1-D: one feature
    (tmp_path / "x.csv").write_text("value\n" + "\n".join(repr(float(v)) for v in x) + "\n")
    for name in ("x.npy", "x.csv"):
        out_json = tmp_path / f"{name}.json"
        status, out, err = kmix_main(["select-k", tmp_path / name, "--k", "2-5", "--json", out_json], capsys)
        assert status == 0, err
        got = assert_json_matches(out_json, x.reshape(-1, 1), [2, 3, 4, 5], "silhouette")
        assert got["best_k"] == 3 and got["n_features"] == 1


@pytest.mark.parametrize(
    "method,k", [("silhouette", "2-6"), ("elbow", "1-8"), ("bic", "1-5"), ("aic", "1-5"), ("gap", "2-5")]
)
def test_methods_json_and_plot(method, k, tmp_path, capsys):
    X = polygon_blobs(3, n=90, seed=5)
    path = tmp_path / "data.npy"
    np.save(path, X)
    out_json, out_png = tmp_path / "r.json", tmp_path / "r.png"
    status, out, err = kmix_main(
        [
            "select-k",
            path,
            "--k",
            k,
            "--method",
            method,
            "--json",
            out_json,
            "--plot",
            out_png,
            "--seed",
            3,
            "--n-refs",
            4,
        ],
        capsys,
    )
    assert status == 0, err
    lo, hi = (int(v) for v in k.split("-"))
    got = assert_json_matches(out_json, X, list(range(lo, hi + 1)), method, seed=3, n_refs=4)
    if method != "aic":  # AIC's light penalty may overshoot on 90 points (the JSON still matches)
        assert got["best_k"] == 3
    assert_png(out_png)


@pytest.mark.parametrize("k,threshold", [("2-10", None), ("1-8", "0.2"), ("5-8", None), ("2-3", None)])
def test_method_bgmm(k, threshold, tmp_path, capsys):
    # 300 rows: a component the Dirichlet-process mixture leaves unused keeps a weight of ~1/n
    X = polygon_blobs(3, n=300, seed=5)
    path = tmp_path / "data.npy"
    np.save(path, X)
    out_json, out_png = tmp_path / "r.json", tmp_path / "r.png"
    extra = ["--weight-threshold", threshold] if threshold else []
    status, out, err = kmix_main(
        ["select-k", path, "--k", k, "--method", "bgmm", "--json", out_json, "--plot", out_png, "--seed", 3, *extra],
        capsys,
    )
    assert status == 0, err
    assert err == ""
    lo, hi = (int(v) for v in k.split("-"))
    t = float(threshold or 0.01)
    exp = kmix.select_k(X, range(lo, hi + 1), method="bgmm", random_state=3, weight_threshold=t)
    # the count of a direct fit of the mixture select_k documents
    bg = kmix.BayesianGaussianMixture(n_components=hi, max_iter=500, random_state=3).fit(X)
    n_eff = int((bg.weights_ > t).sum())
    assert exp.n_effective == n_eff == min(3, hi)
    got = json.loads(out_json.read_text())
    assert got == {"file": str(path), "n_samples": 300, "n_features": 2, **exp.to_dict()}
    assert got["best_k"] == min(max(n_eff, lo), hi) and got["k_values"] == list(range(1, hi + 1))
    assert got["weight_threshold"] == t and got["n_effective"] == n_eff
    lines = out.splitlines()
    assert lines[0].endswith("method bgmm")
    assert lines[1].split() == ["rank", "weight"]
    rows = [ln.split() for ln in lines[2 : 2 + hi]]
    assert [int(r[0]) for r in rows] == list(range(1, hi + 1))
    np.testing.assert_allclose([float(r[1]) for r in rows], np.sort(bg.weights_)[::-1], rtol=1e-5, atol=1e-300)
    assert [r[0] for r in rows if r[-1] == "best"] == [str(got["best_k"])]
    clipped = f" (clipped into --k {lo}-{hi})" if got["best_k"] != n_eff else ""
    assert f"components with weight > {t:g}: {n_eff} of {hi}{clipped}" in lines
    assert lines[-2:] == [f"best k: {got['best_k']}", f"plot saved to {out_png}"]
    assert_png(out_png)


@pytest.mark.parametrize("threshold", ["0", "1", "-0.5", "nan", "inf"])
def test_bad_weight_threshold(threshold, tmp_path, capsys):
    np.save(tmp_path / "d.npy", polygon_blobs(3, n=30))
    status, out, err = kmix_main(
        ["select-k", tmp_path / "d.npy", "--method", "bgmm", f"--weight-threshold={threshold}"], capsys
    )
    assert status == 2
    assert err.startswith("kmix select-k:") and "weight_threshold" in err, err


def test_weight_threshold_not_a_number(tmp_path, capsys):
    np.save(tmp_path / "d.npy", polygon_blobs(3, n=30))
    with pytest.raises(SystemExit) as exc:
        cli.main(["select-k", str(tmp_path / "d.npy"), "--method", "bgmm", "--weight-threshold", "low"])
    assert exc.value.code == 2
    assert "--weight-threshold" in capsys.readouterr().err


def test_other_methods_print_as_before(tmp_path, capsys):
    # the bgmm table's "rank" column leaves the other methods' table as it was
    X = polygon_blobs(3, n=60, seed=9)
    np.save(tmp_path / "d.npy", X)
    status, out, err = kmix_main(["select-k", tmp_path / "d.npy", "--k", "2-4"], capsys)
    assert status == 0, err
    lines = out.splitlines()
    assert lines[1] == "  k  " + "  ".join(f"{name:>12}" for name in ("inertia", "silhouette"))
    assert [ln[:3] for ln in lines[2:5]] == ["  2", "  3", "  4"]
    assert "weight" not in out and "rank" not in out


def test_k_list_and_single_k(tmp_path, capsys):
    X = polygon_blobs(4, n=80, seed=6)
    path = tmp_path / "data.npy"
    np.save(path, X)
    for k, ks in (("2,3,5", [2, 3, 5]), ("5,2,4", [2, 4, 5]), ("4", [4]), (" 2 - 4 ", [2, 3, 4]), ("3-3", [3])):
        out_json = tmp_path / "r.json"
        status, out, err = kmix_main(["select-k", path, "--k", k, "--json", out_json], capsys)
        assert status == 0, (k, err)
        assert_json_matches(out_json, X, ks, "silhouette")


def test_seed_and_n_refs(tmp_path, capsys):
    X = polygon_blobs(3, n=60, seed=7)
    path = tmp_path / "data.npy"
    np.save(path, X)
    gaps = {}
    for seed, n_refs in ((0, 3), (1, 3), (0, 5)):
        out_json = tmp_path / f"r{seed}{n_refs}.json"
        status, out, err = kmix_main(
            ["select-k", path, "--k", "2-5", "--method", "gap", "--seed", seed, "--n-refs", n_refs, "--json", out_json],
            capsys,
        )
        assert status == 0, err
        gaps[seed, n_refs] = assert_json_matches(out_json, X, [2, 3, 4, 5], "gap", seed=seed, n_refs=n_refs)
    assert gaps[0, 3]["scores"]["gap"] != gaps[1, 3]["scores"]["gap"]
    assert gaps[0, 3]["scores"]["gap"] != gaps[0, 5]["scores"]["gap"]


def test_default_k_range(tmp_path, capsys):
    X = polygon_blobs(3, n=90, seed=8)
    np.save(tmp_path / "d.npy", X)
    status, out, err = kmix_main(["select-k", tmp_path / "d.npy", "--json", tmp_path / "r.json"], capsys)
    assert status == 0, err
    assert json.loads((tmp_path / "r.json").read_text())["k_values"] == list(range(2, 11))


@pytest.mark.parametrize("command", ["select-k", "demo"])
def test_stdout_is_captured(command, tmp_path, capsys):
    # What the command prints goes to the current sys.stdout (so capsys / redirect_stdout see it).
    if command == "select-k":
        X = polygon_blobs(3, n=60, seed=9)
        np.save(tmp_path / "d.npy", X)
        status, out, err = kmix_main(["select-k", tmp_path / "d.npy", "--k", "2-5"], capsys)
        expected = kmix.select_k(X, [2, 3, 4, 5], random_state=0).best_k
        assert status == 0
        assert re.search(rf"^best k: {expected}$", out, flags=re.M), out
    else:
        status, out, err = kmix_main(["demo"], capsys)
        assert status == 0
        assert "kmix demo" in out and "inertia" in out, out


# ---- bad --k ---------------------------------------------------------------------------------
@pytest.mark.parametrize("k", ["abc", "5-2", "2-", "-", "2-x", "2.5", "2,,x", "two-ten", "2-10-3", "1e1"])
def test_bad_k_strings(k, tmp_path, capsys):
    np.save(tmp_path / "d.npy", polygon_blobs(3, n=30))
    status, out, err = kmix_main(["select-k", tmp_path / "d.npy", f"--k={k}"], capsys)
    assert status == 2
    assert "--k" in err and repr(k) in err, err


@pytest.mark.parametrize("k", ["", ",", "0-3", "-3", "2-31", "40"])
def test_k_values_out_of_range(k, tmp_path, capsys):
    np.save(tmp_path / "d.npy", polygon_blobs(3, n=30))
    status, out, err = kmix_main(["select-k", tmp_path / "d.npy", f"--k={k}"], capsys)
    assert status == 2
    assert re.search(r"k_range|--k", err), err


def test_elbow_with_two_ks(tmp_path, capsys):
    np.save(tmp_path / "d.npy", polygon_blobs(3, n=30))
    status, out, err = kmix_main(["select-k", tmp_path / "d.npy", "--k", "2-3", "--method", "elbow"], capsys)
    assert status == 2 and "k_range" in err and "elbow" in err


def test_unknown_method_is_a_usage_error(tmp_path, capsys):
    np.save(tmp_path / "d.npy", polygon_blobs(3, n=30))
    with pytest.raises(SystemExit) as exc:
        cli.main(["select-k", str(tmp_path / "d.npy"), "--method", "kmeans"])
    assert exc.value.code == 2
    assert "method" in capsys.readouterr().err


# ---- bad files -------------------------------------------------------------------------------
def bad_run(path, capsys, extra=()):
    status, out, err = kmix_main(["select-k", path, "--k", "2-3", *extra], capsys)
    assert status == 2, (status, out, err)
    assert err.startswith("kmix select-k:"), err
    assert "Traceback" not in err
    # the message without the file's path (tmp_path holds the test's name, which could match)
    return err.replace(str(path), "<FILE>")


def test_missing_file(tmp_path, capsys):
    err = bad_run(tmp_path / "nope.csv", capsys)
    assert err.startswith("kmix select-k: <FILE>:") and "no such file" in err


def test_directory(tmp_path, capsys):
    (tmp_path / "dir.csv").mkdir()
    err = bad_run(tmp_path / "dir.csv", capsys)
    assert "directory" in err


@pytest.mark.parametrize("payload", ["random_bytes", "float64_dump", "latin1", "utf16", "npy_named_csv"])
def test_binary_file(payload, tmp_path, capsys):
    path = tmp_path / "data.csv"
    if payload == "random_bytes":
        data = bytes(np.random.default_rng(0).integers(0, 256, size=300, dtype=np.uint8))
    elif payload == "float64_dump":
        data = polygon_blobs(3, n=30).tobytes()
    elif payload == "latin1":
        data = "a,b\n1,caf\xe9\n".encode("latin-1")
    elif payload == "utf16":
        data = "a,b\n1,2\n3,4\n".encode("utf-16")
    else:
        np.save(tmp_path / "real.npy", polygon_blobs(3, n=30))
        data = (tmp_path / "real.npy").read_bytes()
    path.write_bytes(data)
    err = bad_run(path, capsys)
    assert "not a text file" in err


def test_binary_file_with_nul_bytes(tmp_path, capsys):
    # A raw dump of small int32 values: NUL bytes everywhere but valid ASCII/UTF-8.
    path = tmp_path / "data.csv"
    path.write_bytes(np.arange(100, dtype=np.int32).tobytes())
    err = bad_run(path, capsys)
    assert re.search(r"not a text file|binary", err), err


@pytest.mark.parametrize("header", [True, False])
@pytest.mark.parametrize("cell", ["abc", "1.2.3", "0x10", "3,5", "1e", "--1"])
def test_non_numeric_cell(cell, header, tmp_path, capsys):
    path = tmp_path / "data.csv"
    rows = [[f"{v:.6f}" for v in row] for row in polygon_blobs(3, n=12)]
    rows[3][1] = f'"{cell}"' if "," in cell else cell
    lines = (["a,b"] if header else []) + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    line = 4 + header  # row index 3 -> file line 4, plus the header line
    err = bad_run(path, capsys)
    assert f"line {line}, column 2" in err and "non-numeric" in err and cell in err, err


@pytest.mark.parametrize("cell", ["", "NA", "nan", "NaN", "  ", "null", "?"])
def test_missing_value(cell, tmp_path, capsys):
    path = tmp_path / "data.csv"
    rows = [[f"{v:.6f}" for v in row] for row in polygon_blobs(3, n=12, d=3)]
    rows[6][2] = cell
    path.write_text("x,y,z\n" + "\n".join(",".join(r) for r in rows) + "\n")
    err = bad_run(path, capsys)
    assert "missing value" in err and "line 8, column 3" in err, err


def test_missing_value_in_first_row_without_header(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text("1.0,,3.0\n4.0,5.0,6.0\n7.0,8.0,9.0\n")
    err = bad_run(path, capsys)
    assert "missing value" in err and "line 1, column 2" in err, err


def test_missing_value_tsv(tmp_path, capsys):
    path = tmp_path / "data.tsv"
    path.write_text("a\tb\n1\t2\n3\t\n5\t6\n")
    err = bad_run(path, capsys)
    assert "missing value" in err and "line 3, column 2" in err, err


def test_line_numbers_count_blank_lines(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text("a,b\n1,2\n\n3,4\n\n5,NA\n")
    err = bad_run(path, capsys)
    assert "line 6, column 2" in err, err


@pytest.mark.parametrize("cell", ["inf", "-inf", "1e999"])
def test_infinite_value(cell, tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text(f"a,b\n1,2\n3,{cell}\n5,6\n")
    err = bad_run(path, capsys)
    assert "infinite" in err and "line 3, column 2" in err, err


@pytest.mark.parametrize(
    "text,line,n_cols,width", [("1,2\n3,4\n5,6,7\n", 3, 3, 2), ("a,b,c\n1,2,3\n4,5\n", 3, 2, 3), ("1,2\n3\n", 2, 1, 2)]
)
def test_ragged_rows(text, line, n_cols, width, tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text(text)
    err = bad_run(path, capsys)
    assert f"line {line} has {n_cols} columns" in err and f"expected {width}" in err, err


@pytest.mark.parametrize("text,what", [("", "no data"), ("\n\n  \n", "no data"), ("a,b\n", "no data")])
def test_empty_text(text, what, tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text(text)
    assert what in bad_run(path, capsys)


@pytest.mark.parametrize("bad,what", [(np.nan, "NaN"), (np.inf, "infinite"), (-np.inf, "infinite")])
def test_npy_non_finite(bad, what, tmp_path, capsys):
    X = polygon_blobs(3, n=20)
    X[7, 1] = bad
    np.save(tmp_path / "d.npy", X)
    err = bad_run(tmp_path / "d.npy", capsys)
    assert what in err and "row 7, column 1" in err, err


def test_npy_3d(tmp_path, capsys):
    np.save(tmp_path / "d.npy", np.zeros((4, 3, 2)))
    assert "2-D" in bad_run(tmp_path / "d.npy", capsys)


def test_npy_object(tmp_path, capsys):
    np.save(tmp_path / "d.npy", np.array([[1, "a"], [2, None]], dtype=object), allow_pickle=True)
    err = bad_run(tmp_path / "d.npy", capsys)
    assert re.search("object", err, flags=re.I), err


@pytest.mark.parametrize(
    "arr,what",
    [
        (np.array([["1", "2"], ["3", "4"]]), "numeric"),
        (np.ones((3, 2), dtype=complex), "numeric"),
        (np.zeros((0, 2)), "empty"),
    ],
    ids=["str", "complex", "empty"],
)
def test_npy_bad_dtype_or_empty(arr, what, tmp_path, capsys):
    np.save(tmp_path / "d.npy", arr)
    assert what in bad_run(tmp_path / "d.npy", capsys)


def test_npy_corrupt(tmp_path, capsys):
    (tmp_path / "d.npy").write_text("1,2\n3,4\n")
    assert ".npy" in bad_run(tmp_path / "d.npy", capsys)
    np.save(tmp_path / "t.npy", polygon_blobs(3, n=30))
    (tmp_path / "t.npy").write_bytes((tmp_path / "t.npy").read_bytes()[:200])  # truncated
    assert ".npy" in bad_run(tmp_path / "t.npy", capsys)


def test_too_few_rows_for_k(tmp_path, capsys):
    (tmp_path / "d.csv").write_text("1,2\n3,4\n")
    err = bad_run(tmp_path / "d.csv", capsys, extra=("--k", "2-5"))
    assert "k_range" in err


# ---- demo ------------------------------------------------------------------------------------
def test_demo_plot_three_panels(tmp_path, capsys):
    path = tmp_path / "demo.png"
    status = cli.main(["demo", "--plot", str(path)])
    capsys.readouterr()
    assert status == 0
    assert_png(path, min_bytes=10_000)
    width, height = png_size(path)
    assert 2.5 <= width / height <= 3.5, (width, height)
    import matplotlib.image

    img = matplotlib.image.imread(str(path))[..., :3]
    ink = (img < 0.9).any(axis=2)  # non-white pixels
    thirds = np.array_split(ink, 3, axis=1)
    for part in thirds:  # something is drawn in each of the three panels
        assert part.mean() > 0.01


# ---- subprocess ------------------------------------------------------------------------------
def test_python_m_kmix_cli(tmp_path):
    X = polygon_blobs(3, n=60, seed=10)
    np.savetxt(tmp_path / "d.csv", X, delimiter=",", header="x,y", comments="", fmt="%.17g")
    proc = run(
        [sys.executable, "-m", "kmix.cli", "select-k", "d.csv", "--k", "2-5", "--json", "r.json"], cwd=str(tmp_path)
    )
    expected = kmix.select_k(np.loadtxt(tmp_path / "d.csv", delimiter=",", skiprows=1), [2, 3, 4, 5], random_state=0)
    assert re.search(rf"^best k: {expected.best_k}$", proc.stdout, flags=re.M), proc.stdout
    assert expected.best_k == 3
    assert json.loads((tmp_path / "r.json").read_text())["best_k"] == 3
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n3,x\n")
    bad = run([sys.executable, "-m", "kmix.cli", "select-k", "bad.csv"], cwd=str(tmp_path), check=False)
    assert bad.returncode == 2 and "line 3, column 2" in bad.stderr and bad.stdout == ""

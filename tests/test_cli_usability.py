"""The command line's rough edges (issue 26): ``kmix --version``; ``kmix select-k`` on the CSV
pandas' DataFrame.to_csv writes (an unnamed index column), with --columns, --drop and --scale;
``kmix demo --plot`` refusing an unwritable path before fitting and drawing the mixture and the
Ward tree; medians of several timed fits; output into a pipe closed early ends quietly. Expected
answers come from an independent computation (numpy, scikit-learn, scipy) on the same numbers."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import kmix
from kmix import cli
from conftest import TIME_SCALE, run


def polygon_blobs(k=3, n=90, d=2, seed=1, radius=10.0):
    """k unit-std blobs on a regular k-gon of radius 10 (well separated), n // k points each."""
    angles = 2 * np.pi * np.arange(k) / k + 0.3
    centers = np.zeros((k, d))
    centers[:, 0], centers[:, 1] = radius * np.cos(angles), radius * np.sin(angles)
    rng = np.random.default_rng(seed)
    return centers[np.arange(n) % k] + rng.standard_normal((n, d))


def kmix_main(argv, capsys):
    """(exit status, stdout, stderr) of ``kmix <argv>`` run in this process."""
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def select_k_json(path, capsys, *extra, k="2-5"):
    """The JSON written by ``kmix select-k path --k k *extra`` (which must succeed quietly)."""
    out_json = path.parent / "result.json"
    status, out, err = kmix_main(["select-k", path, "--k", k, "--json", out_json, *extra], capsys)
    assert status == 0, err
    assert err == ""
    return json.loads(out_json.read_text()), out


def assert_same_answer(got, X, ks=(2, 3, 4, 5), rel=1e-12):
    """The JSON of the command against kmix.select_k on X (read independently)."""
    exp = kmix.select_k(X, list(ks), random_state=0).to_dict()
    assert got["n_samples"] == X.shape[0] and got["n_features"] == X.shape[1]
    assert got["best_k"] == exp["best_k"] and got["k_values"] == exp["k_values"]
    for name, values in exp["scores"].items():
        assert got["scores"][name] == pytest.approx(values, rel=rel, abs=rel), name


def error_line(status, out, err):
    """The one-line message of a command that failed with exit status 2 before printing."""
    assert status == 2, (status, out, err)
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


# ---- --version -------------------------------------------------------------------------------
def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"kmix {kmix.__version__}\n"
    proc = run([sys.executable, "-m", "kmix.cli", "--version"])
    assert proc.stdout == f"kmix {kmix.__version__}\n" and proc.stderr == ""


# ---- the CSV pandas writes -------------------------------------------------------------------
def write_unnamed_index_csv(path, X, names, index, sep=","):
    """DataFrame(X, columns=names, index=index).to_csv(path, sep=sep) without pandas: a header
    whose first name is empty, then the index value before each row."""
    lines = [sep.join([""] + list(names))]
    lines += [sep.join([str(i)] + [repr(float(v)) for v in row]) for i, row in zip(index, X)]
    path.write_text("\n".join(lines) + "\n")


def pandas_csv(tmp_path, variant, X):
    """X written by DataFrame.to_csv (or by hand as it does, for 'handwritten'); returns
    (path, the delimiter)."""
    if variant == "handwritten":
        path = tmp_path / "frame.csv"
        write_unnamed_index_csv(path, X, ["x", "y"], range(len(X)))
        return path, ","
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(X, columns=["x", "y"])
    path, sep = tmp_path / ("frame.tsv" if variant == "tab" else "frame.csv"), ","
    if variant == "numbered_columns":  # DataFrame(X): the header is ",0,1"
        df = pd.DataFrame(X)
    elif variant == "string_index":
        df.index = [f"row{i}" for i in range(len(X))]
    elif variant == "shuffled":  # an integer index that is not the rows' positions
        df = df.sample(frac=1.0, random_state=0)
    elif variant == "semicolon":
        sep = ";"
    elif variant == "tab":
        sep = "\t"
    df.to_csv(path, sep=sep)
    return path, sep


@pytest.mark.parametrize(
    "variant", ["handwritten", "default", "numbered_columns", "string_index", "shuffled", "semicolon", "tab"]
)
def test_pandas_to_csv_drops_the_index(variant, tmp_path, capsys):
    """The unnamed first column is the row index, not a feature: the answer is that of the
    other columns (read here with numpy), the one that the row number would otherwise skew."""
    X = polygon_blobs(3, n=90, seed=2)
    path, sep = pandas_csv(tmp_path, variant, X)
    assert path.read_text().startswith(sep)  # the header's first name is empty
    Xr = np.loadtxt(path, delimiter=sep, skiprows=1, usecols=(1, 2))
    np.testing.assert_allclose(np.sort(Xr, axis=0), np.sort(X, axis=0), rtol=1e-15)
    got, out = select_k_json(path, capsys)
    assert_same_answer(got, Xr)
    assert got["index_column_dropped"] is True and got["best_k"] == 3
    assert "unnamed first column dropped as the row index" in out.splitlines()[0]


def test_pandas_named_index_is_a_column(tmp_path, capsys):
    """A named index (index_label / index.name) is a header name like any other: kept as a
    feature, unless --drop leaves it out, which gives the answer of the unnamed case."""
    X = polygon_blobs(3, n=60, seed=3)
    path = tmp_path / "named.csv"
    path.write_text("id,x,y\n" + "".join(f"{i},{a!r},{b!r}\n" for i, (a, b) in enumerate(X.tolist())))
    got, _ = select_k_json(path, capsys)
    assert_same_answer(got, np.loadtxt(path, delimiter=",", skiprows=1))
    assert "index_column_dropped" not in got and got["n_features"] == 3
    got, _ = select_k_json(path, capsys, "--drop", "id")
    assert_same_answer(got, X)


def test_headerless_first_column_of_positions_is_kept(tmp_path, capsys):
    """Without a header row nothing marks the first column as an index: 0, 1, ..., n − 1 in it
    are numbers like any others (as before)."""
    X = np.column_stack([np.arange(60.0), polygon_blobs(3, n=60, seed=4)])
    path = tmp_path / "plain.csv"
    np.savetxt(path, X, delimiter=",", fmt="%.17g")
    got, _ = select_k_json(path, capsys)
    assert_same_answer(got, np.loadtxt(path, delimiter=","))
    assert got["n_features"] == 3 and "index_column_dropped" not in got


@pytest.mark.parametrize(
    "text",
    [
        ",1.5,2.5\n3,4,5\n6,7,8\n9,1,2\n",  # numbers after the empty cell
        ",0,1\n5,1,2\n6,3,4\n7,5,6\n",
    ],
)  # ... and a first column that is not 0..n-1
def test_empty_first_cell_of_numbers_is_still_missing(text, tmp_path, capsys):
    """A first row of numbers is data, not a header, unless the first column counts the rows:
    its empty first cell is a missing value, as before."""
    path = tmp_path / "d.csv"
    path.write_text(text)
    msg = error_line(*kmix_main(["select-k", path, "--k", "2"], capsys))
    assert "missing value" in msg and "line 1, column 1" in msg, msg


@pytest.mark.parametrize(
    "cell,what", [("abc", "non-numeric value 'abc'"), ("", "missing value"), ("inf", "infinite value")]
)
def test_pandas_layout_errors_name_line_and_column(cell, what, tmp_path, capsys):
    """A bad cell of a to_csv file is reported at its line and column of the file (the index
    column counts) with the column's name, as for any other file."""
    X = polygon_blobs(3, n=12)
    path = tmp_path / "frame.csv"
    write_unnamed_index_csv(path, X, ["x", "y"], range(len(X)))
    lines = path.read_text().splitlines()
    lines[4] = lines[4].rsplit(",", 1)[0] + "," + cell
    path.write_text("\n".join(lines) + "\n")
    msg = error_line(*kmix_main(["select-k", path, "--k", "2-3"], capsys))
    assert f"{what} at line 5, column 3 ('y')" in msg, msg
    lines[4] = lines[4].rsplit(",", 1)[0]  # a short row
    path.write_text("\n".join(lines) + "\n")
    msg = error_line(*kmix_main(["select-k", path, "--k", "2-3"], capsys))
    assert "line 5 has 2 columns; expected 3" in msg, msg


# ---- --columns, --drop -----------------------------------------------------------------------
def three_column_data(seed=5):
    """Blobs in columns a and c; column b is wide uniform noise that hides them when it is used."""
    rng = np.random.default_rng(seed)
    blobs = polygon_blobs(3, n=90, seed=seed)
    return np.column_stack([blobs[:, 0], rng.uniform(-60, 60, size=90), blobs[:, 1]])


@pytest.mark.parametrize("fmt", ["header", "pandas", "plain", "npy"])
@pytest.mark.parametrize(
    "option,given,used",
    [
        ("--columns", ["c", "a"], [2, 0]),
        ("--columns", ["b"], [1]),
        ("--drop", ["b"], [0, 2]),
        ("--drop", ["a", "c"], [1]),
    ],
)
def test_columns_and_drop(fmt, option, given, used, tmp_path, capsys):
    """The answer is that of the chosen columns of the array (named by the header, or by
    0-based number in a file without one), in the order --columns gives them."""
    X = three_column_data()
    number = {"a": "0", "b": "1", "c": "2"}
    if fmt == "header":
        path = tmp_path / "d.csv"
        np.savetxt(path, X, delimiter=",", header="a,b,c", comments="", fmt="%.17g")
    elif fmt == "pandas":
        path = tmp_path / "d.csv"
        write_unnamed_index_csv(path, X, ["a", "b", "c"], range(len(X)))
    elif fmt == "plain":
        path = tmp_path / "d.csv"
        np.savetxt(path, X, delimiter=",", fmt="%.17g")
    else:
        path = tmp_path / "d.npy"
        np.save(path, X)
    names = given if fmt in ("header", "pandas") else [number[g] for g in given]
    got, out = select_k_json(path, capsys, option, ",".join(names))
    assert_same_answer(got, X[:, used])
    header = ["a", "b", "c"] if fmt in ("header", "pandas") else ["0", "1", "2"]
    assert got["columns"] == [header[j] for j in used]
    assert f"columns {', '.join(got['columns'])}" in out.splitlines()[0]


def test_the_choice_matters(tmp_path, capsys):
    """The noise column changes the answer, so the tests above can tell which columns were used."""
    X = three_column_data()
    np.save(tmp_path / "d.npy", X)
    all_, _ = select_k_json(tmp_path / "d.npy", capsys)
    some, _ = select_k_json(tmp_path / "d.npy", capsys, "--drop", "1")
    assert some["best_k"] == 3 and all_["scores"]["silhouette"] != some["scores"]["silhouette"]


@pytest.mark.parametrize(
    "header,option,value,words",
    [
        (True, "--columns", "a,zz", ["--columns", "no column named 'zz'", "'a', 'b', 'c'"]),
        (True, "--drop", "b,zz", ["--drop", "no column named 'zz'"]),
        (True, "--columns", "0", ["no column named '0'"]),  # with a header, columns go by name
        (False, "--columns", "0,3", ["no column '3'", "numbered 0 to 2"]),
        (False, "--drop", "a", ["no column 'a'", "no header row"]),
        (False, "--columns", "-1", ["no column '-1'"]),
        (True, "--columns", "a,c,a", ["'a' is given twice"]),
        (True, "--drop", "a,b,c", ["--drop leaves no column"]),
        (True, "--columns", " , ", ["--columns needs at least one column"]),
    ],
)
def test_bad_column_names(header, option, value, words, tmp_path, capsys):
    """One line naming the column the file does not have (and what it has), exit status 2."""
    path = tmp_path / "d.csv"
    np.savetxt(path, three_column_data(), delimiter=",", header="a,b,c" if header else "", comments="", fmt="%.6f")
    msg = error_line(*kmix_main(["select-k", path, f"{option}={value}"], capsys))
    assert msg.startswith("kmix select-k: ")
    for word in words:
        assert word in msg, msg


def test_columns_and_drop_exclude_each_other(tmp_path, capsys):
    np.save(tmp_path / "d.npy", three_column_data())
    with pytest.raises(SystemExit) as exc:
        cli.main(["select-k", str(tmp_path / "d.npy"), "--columns", "0", "--drop", "1"])
    assert exc.value.code == 2
    assert "--drop: not allowed with argument --columns" in capsys.readouterr().err


# ---- --scale ---------------------------------------------------------------------------------
def test_scale(tmp_path, capsys):
    """--scale gives the answer of scikit-learn's StandardScaler output (of the chosen columns),
    which differs from the unscaled one: the three blobs of columns x and y, a hundred times
    narrower than the noise column, decide once they are brought to its scale."""
    from sklearn.preprocessing import StandardScaler

    X = np.column_stack([0.01 * polygon_blobs(3, n=120, seed=0), np.random.default_rng(0).standard_normal(120)])
    path = tmp_path / "d.csv"
    np.savetxt(path, X, delimiter=",", header="x,y,noise", comments="", fmt="%.17g")
    got, out = select_k_json(path, capsys, "--scale")
    assert_same_answer(got, StandardScaler().fit_transform(X), rel=1e-9)
    assert got["scaled"] is True and "each scaled to mean 0, variance 1" in out.splitlines()[0]
    assert got["best_k"] == 3
    raw, _ = select_k_json(path, capsys)
    assert_same_answer(raw, X)
    assert raw["best_k"] != 3  # unscaled, the noise decides
    two, _ = select_k_json(path, capsys, "--scale", "--columns", "noise,x")
    assert_same_answer(two, StandardScaler().fit_transform(X[:, [2, 0]]), rel=1e-9)


def test_scale_constant_column(tmp_path, capsys):
    """A constant column has no variance to scale to 1: an error naming it (exit status 2);
    without it the command works."""
    X = np.column_stack([polygon_blobs(3, n=60, seed=7), np.full(60, 0.1)])
    path = tmp_path / "d.csv"
    np.savetxt(path, X, delimiter=",", header="x,y,flat", comments="", fmt="%.17g")
    msg = error_line(*kmix_main(["select-k", path, "--scale"], capsys))
    assert "--scale" in msg and "'flat' is constant" in msg, msg
    got, _ = select_k_json(path, capsys, "--scale", "--drop", "flat")
    assert_same_answer(got, (X[:, :2] - X[:, :2].mean(0)) / X[:, :2].std(0), rel=1e-9)


def test_help_documents_the_options(capsys):
    with pytest.raises(SystemExit):
        cli.main(["select-k", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for words in (
        "--columns A,B,...",
        "--drop A,B,...",
        "0-based numbers if the file has no header",
        "a constant column is an error (exit status 2)",
        "DataFrame.to_csv",
    ):
        assert words in text, words


# ---- demo --plot PATH that cannot be written -------------------------------------------------
@pytest.fixture
def no_fits(monkeypatch):
    """Any fit of the demo's estimators fails the test."""
    for name in ("KMeans", "GaussianMixture", "BayesianGaussianMixture", "AgglomerativeClustering"):

        def fail(self, *args, _name=name, **kwargs):
            raise AssertionError(f"{_name}.fit ran")

        monkeypatch.setattr(getattr(kmix, name), "fit", fail)


@pytest.mark.parametrize("where", ["missing_dir", "directory", "read_only_dir"])
def test_demo_plot_unwritable(where, tmp_path, capsys, no_fits):
    """Found before any fit (one of which would fail here), one line, exit status 2."""
    if where == "missing_dir":
        path, reason = tmp_path / "no" / "such" / "demo.png", "No such file or directory"
    elif where == "directory":
        path, reason = tmp_path, "Is a directory"
    else:
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            pytest.skip("root writes into read-only directories")
        (tmp_path / "ro").mkdir()
        os.chmod(tmp_path / "ro", 0o500)
        path, reason = tmp_path / "ro" / "demo.png", "Permission denied"
    msg = error_line(*kmix_main(["demo", "--plot", path], capsys))
    assert msg == f"kmix demo: cannot write the plot to {path}: {reason}"
    assert where == "directory" or not path.exists()


def test_demo_plot_check_leaves_no_file(tmp_path, capsys, no_fits):
    """The check that the path can be written leaves neither a new file nor a changed old one."""
    new, old = tmp_path / "new.png", tmp_path / "old.png"
    old.write_bytes(b"keep me")
    for path in (new, old):
        with pytest.raises(AssertionError, match="KMeans.fit ran"):  # the check passed: the fits start
            cli.main(["demo", "--plot", str(path)])
    assert not new.exists() and old.read_bytes() == b"keep me"


@pytest.mark.parametrize("option", ["--json", "--plot"])
def test_select_k_unwritable_output_before_work(option, tmp_path, capsys, monkeypatch):
    import kmix.select

    def fail(*args, **kwargs):
        raise AssertionError("select_k ran")

    monkeypatch.setattr(kmix.select, "select_k", fail)
    np.save(tmp_path / "d.npy", polygon_blobs(3, n=30))
    target = tmp_path / "missing" / "out"
    msg = error_line(*kmix_main(["select-k", tmp_path / "d.npy", option, target], capsys))
    assert msg == f"kmix select-k: cannot write {target}: No such file or directory"


# ---- demo timing -----------------------------------------------------------------------------
class FakeClock:
    """time.perf_counter advanced only by the fake estimator's fits."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.mark.parametrize(
    "durations,median,runs",
    [
        ([9.0, 0.003, 0.001, 0.002, 0.005, 0.004], 0.003, 5),  # the slow cold call is not timed
        ([0.1, 0.3, 0.3, 0.3, 0.3, 0.3], 0.3, 2),  # the budget (0.5 s) is spent after two
        ([0.1, 0.9, 0.1, 0.1, 0.1, 0.1], 0.9, 1),  # ... after one: at least one is timed
    ],
)
def test_fit_timed_median_after_warm_up(durations, median, runs, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(cli.time, "perf_counter", clock)
    fitted = []

    class Fake:
        def fit(self, X):
            clock.now += durations[len(fitted)]
            fitted.append(self)
            return self

    model, seconds, n = cli._fit_timed(Fake, None)
    assert model is fitted[0]  # the model reported is the warm-up fit's
    assert (seconds, n) == (pytest.approx(median), runs)
    assert len(fitted) == runs + 1


def test_demo_prints_medians(monkeypatch):
    """Each time in the demo says over how many fits it is the median, and that many fits (plus
    the warm-up one) ran."""
    import io

    calls = []
    original = kmix.AgglomerativeClustering.fit

    def counted(self, *args, **kwargs):
        calls.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(kmix.AgglomerativeClustering, "fit", counted)
    buf = io.StringIO()
    cli.demo(out=buf)
    times = re.findall(r"time (\d+\.\d+) ms \(median of (\d+)\)$", buf.getvalue(), flags=re.M)
    assert len(times) == 4, buf.getvalue()  # KMeans, GaussianMixture, Bayesian mixture, Ward
    assert all(1 <= int(n) <= cli.TIMING_RUNS for _, n in times)
    assert len(calls) == int(times[-1][1]) + 1


# ---- demo figure -----------------------------------------------------------------------------
def demo_models(seed=0):
    X, _ = cli.reference_blobs(seed)
    km = kmix.KMeans(n_clusters=3, random_state=seed).fit(X)
    gm = kmix.GaussianMixture(n_components=3, covariance_type="diag", random_state=seed).fit(X)
    ag = kmix.AgglomerativeClustering(n_clusters=3, linkage="ward", compute_distances=True).fit(X)
    return X, km, gm, ag


def ellipses_on_levels(ax, means, covariances, levels):
    """For each Ellipse patch: (its component, its level) where every point of its outline is at
    that Mahalanobis distance of that component's mean (checked to 1e-9)."""
    from matplotlib.patches import Ellipse

    found = []
    for patch in ax.patches:
        assert isinstance(patch, Ellipse)
        t = np.linspace(0, 2 * np.pi, 50)  # the patch is the unit circle mapped into data coordinates
        outline = patch.get_patch_transform().transform(np.column_stack([np.cos(t), np.sin(t)]))
        c = int(np.argmin(np.linalg.norm(means - np.asarray(patch.center), axis=1)))
        diff = outline - means[c]
        dist = np.sqrt(np.einsum("ij,jk,ik->i", diff, np.linalg.inv(covariances[c]), diff))
        level = min(levels, key=lambda lv: abs(dist[0] - lv))
        np.testing.assert_allclose(dist, level, rtol=1e-9)
        found.append((c, level))
    return found


def test_demo_figure_panels():
    """Three panels: KMeans, the mixture's 1 and 2 standard-deviation ellipses (one pair per
    component, at the distances the variances give), the last 30 merges of the Ward tree."""
    import matplotlib.pyplot as plt

    X, km, gm, ag = demo_models()
    fig = cli.demo_figure(X, km, gm, ag)
    try:
        ax_km, ax_gmm, ax_tree = fig.axes
        assert len(fig.axes) == 3
        assert len(ax_km.collections) == 3 and not ax_km.patches  # points, centers found, true ones
        found = ellipses_on_levels(ax_gmm, gm.means_, [np.diag(v) for v in gm.covariances_], cli.ELLIPSE_LEVELS)
        assert sorted(found) == [(c, s) for c in range(3) for s in cli.ELLIPSE_LEVELS]
        assert len(ax_tree.lines) == cli.TREE_MERGES and not ax_tree.patches
    finally:
        plt.close(fig)


def test_mixture_ellipses_full_covariance():
    """Rotated ellipses of full covariances lie on the Mahalanobis level sets too."""
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(8)
    A = np.array([[2.0, 1.2], [0.0, 0.5]])
    X = np.concatenate([rng.standard_normal((200, 2)) @ A + c for c in ([0, 0], [8, 2])])
    gm = kmix.GaussianMixture(n_components=2, covariance_type="full", random_state=0).fit(X)
    fig, ax = plt.subplots()
    try:
        cli._draw_mixture(ax, X, gm, levels=(1, 2, 3))
        found = ellipses_on_levels(ax, gm.means_, gm.covariances_, (1, 2, 3))
        assert sorted(found) == [(c, s) for c in range(2) for s in (1, 2, 3)]
    finally:
        plt.close(fig)


def tree_lines(ax):
    """Each merge line as (left x, right x, height, left leg bottom, right leg bottom)."""
    rows = []
    for line in ax.lines:
        x, y = line.get_xdata(), line.get_ydata()
        assert len(x) == 4 and x[0] == x[1] and x[2] == x[3] and y[1] == y[2]  # a ∩ shape
        rows.append((x[0], x[2], y[1], y[0], y[3]))
    return rows


@pytest.mark.parametrize("last", [30, 5, 899, 2000])
def test_ward_tree_drawing(last):
    """The merges drawn are the last `last` ones (their heights), each leg ending on a leaf (at 0)
    or on the merge below it; the leaves' sizes are the clusters of the tree cut into last + 1
    (scikit-learn's cut), and they add up to all the points."""
    import matplotlib.pyplot as plt
    from sklearn.cluster import AgglomerativeClustering as SkAgglo

    X, km, gm, ag = demo_models()
    n = len(X)
    fig, ax = plt.subplots()
    try:
        drawn = cli.draw_tree(ax, ag.children_, ag.distances_, n, labels=ag.labels_, last=last)
        m = min(last, n - 1)
        assert drawn == m
        rows = tree_lines(ax)
        assert len(rows) == m
        np.testing.assert_array_equal(sorted(r[2] for r in rows), np.sort(ag.distances_[-m:]))
        tops = {r[2]: (r[0] + r[1]) / 2 for r in rows}  # each merge's height -> the x of its top
        for left, right, h, bottom_l, bottom_r in rows:
            for x, bottom in ((left, bottom_l), (right, bottom_r)):
                assert bottom == 0 and x == int(x) or tops.get(bottom) == x, (x, bottom)
                assert bottom < h
        labels = [t.get_text() for t in ax.get_xticklabels()]
        assert len(labels) == m + 1
        sizes = [int(t[1:-1]) if t.startswith("(") else 1 for t in labels]
        assert sum(sizes) == n
        if m < n - 1:
            cut = SkAgglo(n_clusters=m + 1, linkage="ward").fit(X).labels_
            assert sorted(sizes) == sorted(np.bincount(cut))
        else:  # the whole tree: every point is a leaf, named by its row
            assert sorted(int(t) for t in labels) == list(range(n))
    finally:
        plt.close(fig)


def test_ward_tree_matches_scipy_dendrogram():
    """The same picture as scipy's dendrogram(truncate_mode="lastp") of the same tree: leaf
    labels in the same order and the same lines (scipy puts leaf i at x = 10 i + 5)."""
    import matplotlib.pyplot as plt

    hierarchy = pytest.importorskip("scipy.cluster.hierarchy")
    X, km, gm, ag = demo_models(seed=4)
    n = len(X)
    counts = np.ones(2 * n - 1)
    for i, (a, b) in enumerate(ag.children_):
        counts[n + i] = counts[a] + counts[b]
    Z = np.column_stack([ag.children_, ag.distances_, counts[n:]]).astype(float)
    ref = hierarchy.dendrogram(Z, p=cli.TREE_MERGES + 1, truncate_mode="lastp", no_plot=True)
    fig, ax = plt.subplots()
    try:
        cli.draw_tree(ax, ag.children_, ag.distances_, n, last=cli.TREE_MERGES)
        assert [t.get_text() for t in ax.get_xticklabels()] == ref["ivl"]
        ours = sorted((tuple(10 * line.get_xdata() + 5), tuple(line.get_ydata())) for line in ax.lines)
        theirs = sorted((tuple(x), tuple(y)) for x, y in zip(ref["icoord"], ref["dcoord"]))
        assert len(ours) == len(theirs) == cli.TREE_MERGES
        for (xo, yo), (xt, yt) in zip(ours, theirs):
            np.testing.assert_allclose(xo, xt)
            np.testing.assert_allclose(yo, yt)
    finally:
        plt.close(fig)


def test_draw_tree_needs_the_full_tree():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    try:
        with pytest.raises(ValueError, match="full tree"):
            cli.draw_tree(ax, np.array([[0, 1]]), np.array([1.0]), 4)
    finally:
        plt.close(fig)


def test_demo_plot_png(tmp_path, capsys):
    """The command writes the figure as a PNG of three panels side by side."""
    import matplotlib.image

    path = tmp_path / "demo.png"
    status, out, err = kmix_main(["demo", "--plot", path], capsys)
    assert status == 0 and err == ""
    assert f"plot saved to {path}" in out
    img = matplotlib.image.imread(str(path))
    assert img.shape[1] / img.shape[0] == pytest.approx(15 / 4.8, rel=0.05)


# ---- a pipe closed early ---------------------------------------------------------------------
def kmix_into(reader_code, args, cwd=None, unbuffered=False):
    """(exit status, stderr, what the reader printed) of ``python -m kmix.cli args | python -c
    reader_code``; with reader_code None, the read end is closed before kmix starts."""
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    writer = subprocess.Popen(
        [sys.executable, "-m", "kmix.cli", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
    )
    first = b""
    if reader_code is not None:
        reader = subprocess.Popen([sys.executable, "-c", reader_code], stdin=writer.stdout, stdout=subprocess.PIPE)
        writer.stdout.close()  # the reader holds the only read end
        first, _ = reader.communicate(timeout=120 * TIME_SCALE)
    else:
        writer.stdout.close()  # no reader at all
    err = writer.stderr.read().decode()
    writer.stderr.close()
    return writer.wait(timeout=120 * TIME_SCALE), err, first.decode()


HEAD_1 = "import sys; sys.stdout.write(sys.stdin.readline())"


@pytest.mark.parametrize("unbuffered", [False, True])
def test_demo_into_head(unbuffered):
    """``kmix demo | head -1``: the first line arrives, the rest ends without a word on stderr
    (0 if all was written before the reader left, 141 once the pipe was found closed)."""
    status, err, first = kmix_into(HEAD_1, ["demo"], unbuffered=unbuffered)
    assert first.startswith("kmix demo: 3 blobs")
    assert err == ""
    assert status in (0, cli.BROKEN_PIPE_STATUS)


def test_select_k_into_head(tmp_path):
    np.save(tmp_path / "d.npy", polygon_blobs(3, n=60))
    status, err, first = kmix_into(HEAD_1, ["select-k", "d.npy", "--k", "2-4"], cwd=tmp_path, unbuffered=True)
    assert first.startswith("kmix select-k d.npy: 60 samples")
    assert err == "" and status in (0, cli.BROKEN_PIPE_STATUS)


@pytest.mark.parametrize("args", [["demo"], ["select-k", "d.npy", "--k", "2-4"], ["--help"], ["--version"], ["config"]])
def test_closed_pipe_is_quiet(args, tmp_path):
    """No reader left by the first write (certain to break the pipe): no traceback, no
    "Exception ignored", exit status 141."""
    np.save(tmp_path / "d.npy", polygon_blobs(3, n=60))
    status, err, _ = kmix_into(None, args, cwd=tmp_path)
    assert err == ""
    assert status == cli.BROKEN_PIPE_STATUS

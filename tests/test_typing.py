"""The type information kmix ships (PEP 561): the stub of the compiled module, python/kmix/_core.pyi,
agrees with the module that was built, and the public API is annotated.

The stub is written by hand from cpp/bindings/*.cpp; these tests compare it with what pybind11
reports at run time: the same names, and for every function the same arguments (names, order,
which have defaults and what they are) as the signature line of its __doc__, and types that do
not contradict pybind11's. mypy (mypy.ini; CI runs it) checks the annotations themselves.
"""

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

import kmix
from kmix import _core

PACKAGE_DIR = Path(kmix.__file__).parent
STUB = PACKAGE_DIR / "_core.pyi"


def _stub_tree():
    return ast.parse(STUB.read_text(encoding="utf-8"), filename=str(STUB))


def _stub_names(tree):
    """The names the stub defines at its top level (functions, classes, variables), not imports."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _stub_functions(tree):
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def _split_top_level(text):
    """text split at the commas outside brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return parts


def _pybind11_signature(func):
    """[(name, type, default or None)], return type: from the first line of a pybind11 function's
    __doc__, "name(a: T, b: U = default) -> R"."""
    first = (func.__doc__ or "").splitlines()[0]
    m = re.fullmatch(rf"{re.escape(func.__name__)}\((.*)\) -> (.+)", first)
    assert m, f"{func.__name__}: no pybind11 signature line in its __doc__: {first!r}"
    args = []
    for part in _split_top_level(m.group(1)):
        name, _, rest = part.partition(":")
        annotation, _, default = rest.partition("=")
        args.append((name.strip(), annotation.strip(), default.strip() or None))
    return args, m.group(2).strip()


def _public_names(module):
    return {name for name in dir(module) if not (name.startswith("__") and name.endswith("__"))}


# ---- the stub of kmix._core ------------------------------------------------------------------
def test_stub_names_are_the_modules():
    in_stub = _stub_names(_stub_tree())
    in_module = _public_names(_core)
    assert in_module - in_stub == set(), "in kmix._core but not in _core.pyi"
    assert in_stub - in_module == set(), "in _core.pyi but not in kmix._core"


def test_stub_functions_are_the_modules_functions():
    functions = _stub_functions(_stub_tree())
    assert set(functions) == {n for n in _public_names(_core) if callable(getattr(_core, n))}
    assert _stub_names(_stub_tree()) == set(functions), "the module exports functions only"


# pybind11's spelling of the C++ argument types -> the stub's annotation for them (pybind11 3;
# pybind11 2 spells int and float arguments "int" and "float").
_SCALARS = {
    "bool": "bool",
    "str": "str",
    "typing.SupportsInt | typing.SupportsIndex": "int",
    "typing.SupportsFloat | typing.SupportsIndex": "float",
    "int": "int",
    "float": "float",
}
# A py::handle argument (an array the binding checks itself): "object" (pybind11 3), "handle" (2).
_HANDLES = ("object", "handle")


@pytest.mark.parametrize("name", sorted(_stub_functions(_stub_tree())))
def test_stub_signature_is_pybind11s(name):
    node = _stub_functions(_stub_tree())[name]
    ours = node.args
    assert not (ours.vararg or ours.kwarg or ours.kwonlyargs or ours.posonlyargs), name
    args, returns = _pybind11_signature(getattr(_core, name))
    # The same names in the same order.
    assert [a.arg for a in ours.args] == [n for n, _, _ in args]
    # The same defaults.
    defaults = [None] * (len(ours.args) - len(ours.defaults)) + [ast.unparse(d) for d in ours.defaults]
    assert defaults == [d for _, _, d in args]
    # Types that agree with pybind11's where it knows them (an array argument is a py::handle,
    # which the binding checks itself).
    for a, (arg, annotation, default) in zip(ours.args, args):
        stub_type = ast.unparse(a.annotation) if a.annotation is not None else None
        assert stub_type is not None, f"{name}({arg}) is not annotated in the stub"
        if annotation in _SCALARS:
            assert stub_type == _SCALARS[annotation], f"{name}({arg}): pybind11 says {annotation}"
        else:
            assert annotation in _HANDLES, f"{name}({arg}): pybind11 says {annotation}; extend the test"
            if default == "None":
                assert stub_type.endswith("| None"), f"{name}({arg}) defaults to None"
    ours_returns = ast.unparse(node.returns) if node.returns is not None else None
    assert ours_returns is not None, f"{name} has no return type in the stub"
    returns = returns.replace("List[", "list[")  # (pybind11 2's spelling)
    if returns in ("bool", "str", "int", "float", "list[str]"):
        assert ours_returns == returns
    elif returns == "dict":
        assert ours_returns == "dict[str, Any]"
    elif returns.startswith(("numpy.typing.NDArray[", "numpy.ndarray[")):  # (pybind11 3, 2)
        assert ours_returns == "NDArray[Any]"
    else:
        assert returns == "object", f"{name}: pybind11 says it returns {returns}; extend the test"


def test_stub_and_marker_are_in_the_package():
    # PEP 561: the stub next to the extension module and the py.typed marker, in the package
    # directory (wheel.packages copies it whole). Run against an installed wheel, this checks
    # that the wheel holds them.
    assert STUB.is_file()
    assert (PACKAGE_DIR / "py.typed").is_file()
    assert list(PACKAGE_DIR.glob("_core*.pyi")) == [STUB]


# ---- annotations of the public API -----------------------------------------------------------
def _public_api():
    """(qualified name, function) for every public function and every public method (and
    __init__) of a public class (not an exception) of kmix, kmix.cluster, kmix.mixture,
    kmix.metrics, and kmix.dask when dask is installed."""
    modules = [kmix, kmix.cluster, kmix.mixture, kmix.metrics]
    try:
        modules.append(importlib.import_module("kmix.dask"))
    except ImportError:
        pass
    seen = {}
    for module in modules:
        names = getattr(module, "__all__", None)
        if names is None:  # (kmix.mixture) what it defines or takes from a public kmix module
            names = [
                n
                for n in dir(module)
                if not n.startswith("_")
                and getattr(getattr(module, n), "__module__", "").startswith("kmix.")
                and "._" not in getattr(module, n).__module__
            ]
        for name in names:
            obj = getattr(module, name)
            if inspect.isfunction(obj) and obj.__module__.startswith("kmix"):
                seen[f"{obj.__module__}.{obj.__qualname__}"] = obj
            elif inspect.isclass(obj) and obj.__module__.startswith("kmix") and not issubclass(obj, BaseException):
                # (not the exceptions and warnings: kmix raises them, users catch them)
                for attr, member in inspect.getmembers(obj, inspect.isfunction):
                    if member.__module__.startswith("kmix") and (attr == "__init__" or not attr.startswith("_")):
                        seen[f"{obj.__module__}.{obj.__qualname__}.{attr}"] = member
    return sorted(seen.items())


def test_the_public_api_is_found():
    names = {name for name, _ in _public_api()}
    for expected in (
        "kmix.kmeans.KMeans.fit",
        "kmix.kmeans.KMeans.__init__",
        "kmix.kmeans.kmeans_plusplus",
        "kmix.kmeans.k_means",
        "kmix.hierarchy.linkage",
        "kmix.hierarchy.optimal_leaf_ordering",
        "kmix.select.select_k",
        "kmix._base.load",
        "kmix.show_config",
        "kmix.metrics.silhouette_score",
        "kmix.mixture.GaussianMixture.sample",
        "kmix.bayesian_mixture.BayesianGaussianMixture.fit",
    ):
        assert expected in names


@pytest.mark.parametrize("name, func", _public_api(), ids=[name for name, _ in _public_api()])
def test_public_function_is_annotated(name, func):
    # The annotations are strings (`from __future__ import annotations`): read, never evaluated.
    sig = inspect.signature(func)
    missing = [
        p.name
        for i, p in enumerate(sig.parameters.values())
        if p.annotation is inspect.Parameter.empty and not (i == 0 and p.name in ("self", "cls"))
    ]
    assert not missing, f"{name}: parameters without a type: {missing}"
    if func.__name__ != "__init__" or "return" in func.__annotations__:
        assert sig.return_annotation is not inspect.Signature.empty, f"{name}: no return type"


def test_annotations_are_not_evaluated_at_run_time():
    # Python 3.9 cannot evaluate `int | None`: every module with annotations postpones them.
    for name, func in _public_api():
        module = importlib.import_module(func.__module__)
        assert all(isinstance(a, str) for a in func.__annotations__.values()), name
        assert (
            getattr(module, "annotations", None) is not None
            and module.annotations.compiler_flag & func.__code__.co_flags
        ), f"{module.__name__}: no future import"

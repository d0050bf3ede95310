"""Run scikit-learn's and scipy's own test files against kmix.

The test files are not copied into kmix: `load` reads the one installed with the peer
(sklearn/cluster/tests/test_k_means.py, ...), executes it in a fresh namespace in which the
names it imports from the peer (``KMeans``, ``linkage``, ...) are kmix's, so that every test
(its body and its parametrizations) runs kmix where it ran the peer, and follows the installed
peer's version.

A test_upstream_*.py file calls ``globals().update(load(...))`` and declares two dicts of
patterns on the test's name, parametrization included (``*`` any text, ``?`` one character,
everything else literal, brackets too) (``test_kmeans_results[*elkan*]``,
``TestLinkage::test_*``) -> reason:

    UPSTREAM_SKIP   tests of what kmix does not have, or of the peer's private helpers
    UPSTREAM_XFAIL  tests kmix fails on purpose (a documented difference), strict

tests/conftest.py applies them at collection, and reports a pattern that matched nothing (so a
stale entry cannot hide).
"""

import builtins
import importlib.util
import types

import pytest


def load(module, replace, *, at_import=True):
    """The test functions and classes of the installed module ``module`` (a dotted name such as
    "sklearn.cluster.tests.test_k_means"), with the names in ``replace`` rebound.

    Every name of ``replace`` must be a global of the module (a typo would silently test the
    peer against itself). at_import=False rebinds them only after the module has run, for a
    module whose decorators look its functions up in the peer's own tables (scipy's
    make_xp_test_case(linkage)) and that parametrizes over no function or class."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        pytest.skip(f"{module} is not installed (its package ships without tests?)", allow_module_level=True)
    with open(spec.origin, encoding="utf-8") as f:
        source = f.read()
    namespace = types.ModuleType(f"upstream.{module}").__dict__
    # The module's own package, so that its relative imports (scipy's hierarchy_test_data) work.
    namespace.update(__file__=spec.origin, __package__=module.rpartition(".")[0])
    # The names are rebound as the module imports them ("from sklearn.cluster import KMeans" gets
    # kmix's), so that what its decorators capture at definition time (the classes listed in a
    # @pytest.mark.parametrize) is kmix's too, not only what the test bodies look up later.
    rebound = set()

    def rebinding_import(name, globals=None, locals=None, fromlist=(), level=0):
        found = builtins.__import__(name, globals, locals, fromlist, level)
        wanted = [n for n in (fromlist or ()) if n in replace] if at_import else []
        if not wanted:
            return found
        rebound.update(wanted)
        view = types.ModuleType(found.__name__)
        view.__dict__.update(found.__dict__)
        view.__dict__.update({n: replace[n] for n in wanted})
        return view

    namespace["__builtins__"] = dict(builtins.__dict__, __import__=rebinding_import)
    exec(compile(source, spec.origin, "exec"), namespace)
    missing = sorted(set(replace) - rebound - set(namespace))
    if missing:
        raise NameError(f"{module} has no global(s) {', '.join(missing)} to replace")
    namespace.update(replace)
    return {
        name: obj
        for name, obj in namespace.items()
        if (name.startswith("test_") and callable(obj)) or (name.startswith("Test") and isinstance(obj, type))
    }

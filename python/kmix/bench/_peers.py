"""The libraries kmix is measured against, and which of them this Python has."""

import importlib
import importlib.util

# name -> (module to import, how to install it)
PEERS = {
    "sklearn": ("sklearn", "pip install scikit-learn (or kmix[bench])"),
    "sklearnex": ("sklearnex", "pip install scikit-learn-intelex"),
    "faiss": ("faiss", "pip install faiss-cpu"),
    "scipy": ("scipy", "pip install scipy (or kmix[bench])"),
    "fastcluster": ("fastcluster", "pip install fastcluster (or kmix[bench])"),
    "dask_ml": ("dask_ml", "pip install dask-ml"),
}


class Skip(Exception):
    """A workload cannot run here, for want of a package (its message says which)."""


def parse_peers(peers):
    """The peers asked for: "sklearn,faiss" (the --peers text) or a list of names; None or "all"
    for every known peer."""
    if peers is None or (isinstance(peers, str) and peers.strip().lower() == "all"):
        return list(PEERS)
    names = [p.strip() for p in (peers.split(",") if isinstance(peers, str) else peers) if p.strip()]
    unknown = [p for p in names if p not in PEERS]
    if unknown:
        raise ValueError(f"--peers: unknown peer(s) {', '.join(unknown)}; known: {', '.join(PEERS)}")
    return names


def find_peers(wanted):
    """(installed, skipped): names of the wanted peers this Python can import, and for the others
    the note saying how to install them. Nothing is imported yet (sklearnex is slow to import)."""
    installed, skipped = [], {}
    for name in wanted:
        module, hint = PEERS[name]
        if importlib.util.find_spec(module) is None:
            skipped[name] = f"not installed: {hint}"
        else:
            installed.append(name)
    return installed, skipped


def peer_versions(names):
    out = {}
    for name in names:
        try:
            mod = importlib.import_module(PEERS[name][0])
        except Exception as exc:  # installed but broken: report it rather than fail the run
            out[name] = f"import failed: {exc}"
            continue
        out[name] = _dist_version(name) or getattr(mod, "__version__", None)
    return out


def _dist_version(name):
    from importlib import metadata

    dist = {
        "sklearn": "scikit-learn",
        "sklearnex": "scikit-learn-intelex",
        "faiss": "faiss-cpu",
        "dask_ml": "dask-ml",
    }.get(name, name)
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None

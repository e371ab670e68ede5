"""FAISS as a benchmark peer of vsetd (bench/faiss/run.ts starts this in a child process).

Reads a JSON spec on stdin: {"data": path of n×d float32, "queries": path of nq×d float32,
"n", "dim", "nq", "k", "threads", "ef_construction", "ef_search": [..], "seconds", "store_dir": optional}.
The vectors are unit length, so inner product is cosine, as vsetd ranks.

For IndexFlatIP (exact) and IndexHNSWFlat (M=16, inner product): build time, resident memory the
index added, queries/s one query per call on one thread (as a service answering requests one by
one) and in one batch over `threads` threads, and the ids found (the caller computes recall). With
"store_dir", also writes that HNSW index and a LangChain-shaped docstore there (index.faiss +
index.pkl), so the caller can time `vsetd import-faiss` on the very same index.
"""
import json
import os
import pickle
import sys
import tempfile
import time

import numpy as np
import faiss


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def qps_single(index, xq, k, seconds, threads):
    # One query per call runs on one thread, as a request handler would: OpenMP's fork and join
    # around a single query costs more than the query on a loaded machine.
    faiss.omp_set_num_threads(1)
    n = 0
    t0 = time.perf_counter()
    end = t0 + seconds
    while time.perf_counter() < end:
        i = n % len(xq)
        index.search(xq[i : i + 1], k)
        n += 1
    faiss.omp_set_num_threads(threads)
    return n / (time.perf_counter() - t0)


def qps_batch(index, xq, k):
    t0 = time.perf_counter()
    index.search(xq, k)
    return len(xq) / (time.perf_counter() - t0)


def measure(name, make, xb, xq, k, seconds, threads, ef_search=None):
    before = rss_bytes()
    t0 = time.perf_counter()
    index = make()
    index.add(xb)
    build = time.perf_counter() - t0
    mem = rss_bytes() - before
    out = []
    for ef in ef_search or [None]:
        if ef is not None:
            index.hnsw.efSearch = ef
        _, ids = index.search(xq, k)
        out.append({
            "index": name,
            "ef_search": ef,
            "build_s": build,
            "memory_bytes": mem,
            "qps_single": qps_single(index, xq, k, seconds, threads),
            "qps_batch": qps_batch(index, xq, k),
            "ids": ids.tolist(),
        })
    return index, out


def write_store(index, n, store_dir):
    """index.faiss + index.pkl as LangChain's FAISS.save_local writes them (stand-in classes under
    LangChain's module names; see test/helpers/faiss_store.py)."""
    root = tempfile.mkdtemp(prefix="lc-standins-")
    files = {
        "langchain_community/__init__.py": "",
        "langchain_community/docstore/__init__.py": "",
        "langchain_community/docstore/in_memory.py": "class InMemoryDocstore:\n    def __init__(self, d):\n        self._dict = d\n",
        "langchain_core/__init__.py": "",
        "langchain_core/documents/__init__.py": "",
        "langchain_core/documents/base.py": (
            "class Document:\n"
            "    def __init__(self, page_content, metadata):\n"
            "        self.s = {'__dict__': {'id': None, 'metadata': metadata, 'page_content': page_content, 'type': 'Document'},"
            " '__pydantic_extra__': None, '__pydantic_fields_set__': {'page_content', 'metadata'}, '__pydantic_private__': None}\n"
            "    def __getstate__(self):\n        return self.s\n"
        ),
    }
    for rel, text in files.items():
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
    sys.path.insert(0, root)
    from langchain_community.docstore.in_memory import InMemoryDocstore
    from langchain_core.documents.base import Document

    os.makedirs(store_dir, exist_ok=True)
    faiss.write_index(index, os.path.join(store_dir, "index.faiss"))
    docs = {f"doc:{i}": Document(f"document {i}", {"n": i, "tenant": f"t{i % 50}"}) for i in range(n)}
    with open(os.path.join(store_dir, "index.pkl"), "wb") as f:
        pickle.dump((InMemoryDocstore(docs), {i: f"doc:{i}" for i in range(n)}), f)


def main():
    spec = json.load(sys.stdin)
    n, d, nq, k = spec["n"], spec["dim"], spec["nq"], spec["k"]
    faiss.omp_set_num_threads(spec["threads"])
    xb = np.fromfile(spec["data"], dtype="float32").reshape(n, d)
    xq = np.fromfile(spec["queries"], dtype="float32").reshape(nq, d)
    results = []
    _, flat = measure("IndexFlatIP", lambda: faiss.IndexFlatIP(d), xb, xq, k, spec["seconds"], spec["threads"])
    results += flat

    def hnsw_index():
        index = faiss.IndexHNSWFlat(d, 16, faiss.METRIC_INNER_PRODUCT)
        # vsetd's VADD builds with EF 200; FAISS's default is 40. The same effort for both.
        index.hnsw.efConstruction = spec["ef_construction"]
        return index

    hnsw, hn = measure("IndexHNSWFlat M=16", hnsw_index, xb, xq, k, spec["seconds"], spec["threads"], spec["ef_search"])
    results += hn
    if spec.get("store_dir"):
        write_store(hnsw, n, spec["store_dir"])
    json.dump({"faiss": faiss.__version__, "numpy": np.__version__, "efConstruction": hnsw.hnsw.efConstruction, "results": results}, sys.stdout)


main()

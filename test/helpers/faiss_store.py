"""Makes LangChain FAISS stores for the import tests, with Debian's python3-faiss.

LangChain itself is not installed: the pickle is written with stand-in classes under the very
module paths and names LangChain uses (langchain_community.docstore.in_memory.InMemoryDocstore,
langchain_core.documents.base.Document), whose state has the shape pydantic 2 gives a Document,
so the file references the real names exactly as FAISS.save_local's pickle does.

Input (JSON on stdin):
  {"dir": path, "kind": "flat-l2" | "flat-ip" | "hnsw" | "hnsw-ip" | "idmap-flat" | "idmap2-hnsw"
           | "pq" | "ivf" | "lsh", "dim": d, "seed": s, "docs": [{"id", "text", "metadata"}],
   "queries": nq, "k": k, "normalize": true, "protocol": 4, "extra_pickle": optional}
Output (JSON on stdout): {"vectors": base64 float32 of the stored vectors in index order,
  "queries": base64 float32, "truth": [[doc ids of FAISS's exact search, best first], ...]}
"""
import base64
import json
import os
import pickle
import sys
import tempfile

import numpy as np
import faiss

STANDINS = {
    "langchain_community/__init__.py": "",
    "langchain_community/docstore/__init__.py": "",
    "langchain_community/docstore/in_memory.py": '''
class InMemoryDocstore:
    def __init__(self, _dict=None):
        self._dict = _dict if _dict is not None else {}
''',
    "langchain_core/__init__.py": "",
    "langchain_core/documents/__init__.py": "",
    "langchain_core/documents/base.py": '''
class Document:
    """Pickles as a pydantic 2 model does: NEWOBJ, then BUILD with this state."""
    def __init__(self, page_content, metadata=None, id=None):
        self.id = id
        self.metadata = metadata or {}
        self.page_content = page_content
        self.type = "Document"
    def __getstate__(self):
        return {
            "__dict__": {"id": self.id, "metadata": self.metadata, "page_content": self.page_content, "type": self.type},
            "__pydantic_extra__": None,
            "__pydantic_fields_set__": {"page_content", "metadata"},
            "__pydantic_private__": None,
        }
    def __setstate__(self, state):
        self.__dict__.update(state["__dict__"])
''',
}


def standins():
    root = tempfile.mkdtemp(prefix="lc-standins-")
    for rel, text in STANDINS.items():
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
    sys.path.insert(0, root)


def make_index(kind, d, n, seed):
    if kind == "flat-l2":
        return faiss.IndexFlatL2(d), None
    if kind == "flat-ip":
        return faiss.IndexFlatIP(d), None
    if kind == "hnsw":
        return faiss.IndexHNSWFlat(d, 16), None
    if kind == "hnsw-ip":
        return faiss.IndexHNSWFlat(d, 16, faiss.METRIC_INNER_PRODUCT), None
    if kind == "idmap-flat":
        return faiss.IndexIDMap(faiss.IndexFlatIP(d)), [1000 + 7 * i for i in range(n)]
    if kind == "idmap2-hnsw":
        return faiss.IndexIDMap2(faiss.IndexHNSWFlat(d, 16)), [(1 << 40) + 3 * i for i in range(n)]
    if kind == "pq":
        return faiss.IndexPQ(d, 4, 4), None
    if kind == "ivf":
        return faiss.IndexIVFFlat(faiss.IndexFlatL2(d), d, 4), None
    if kind == "lsh":
        return faiss.IndexLSH(d, 16), None
    raise SystemExit("unknown kind " + kind)


def main():
    spec = json.load(sys.stdin)
    standins()
    from langchain_community.docstore.in_memory import InMemoryDocstore
    from langchain_core.documents.base import Document

    docs = spec["docs"]
    n, d, k = len(docs), spec["dim"], spec.get("k", 10)
    rng = np.random.RandomState(spec.get("seed", 1))
    xb = rng.standard_normal((n, d)).astype("float32")
    xq = rng.standard_normal((spec.get("queries", 10), d)).astype("float32")
    if spec.get("normalize", True):
        faiss.normalize_L2(xb)
        faiss.normalize_L2(xq)
    index, ids = make_index(spec["kind"], d, n, spec.get("seed", 1))
    if not index.is_trained:
        index.train(xb)
    if ids is None:
        index.add(xb)
        labels = list(range(n))
    else:
        index.add_with_ids(xb, np.array(ids, dtype="int64"))
        labels = ids
    os.makedirs(spec["dir"], exist_ok=True)
    faiss.write_index(index, os.path.join(spec["dir"], "index.faiss"))

    docstore = InMemoryDocstore({doc["id"]: Document(page_content=doc["text"], metadata=doc["metadata"]) for doc in docs})
    index_to_docstore_id = {label: doc["id"] for label, doc in zip(labels, docs)}
    payload = (docstore, index_to_docstore_id)
    with open(os.path.join(spec["dir"], "index.pkl"), "wb") as f:
        pickle.dump(payload, f, protocol=spec.get("protocol", pickle.DEFAULT_PROTOCOL))

    # FAISS's own exact search over the same vectors and metric: the answer the import must give.
    metric_ip = spec["kind"] in ("flat-ip", "hnsw-ip", "idmap-flat")
    exact = faiss.IndexFlatIP(d) if metric_ip else faiss.IndexFlatL2(d)
    exact.add(xb)
    _, found = exact.search(xq, min(k, n))
    truth = [[docs[int(i)]["id"] for i in row if i >= 0] for row in found]
    json.dump(
        {
            "vectors": base64.b64encode(xb.tobytes()).decode(),
            "queries": base64.b64encode(xq.tobytes()).decode(),
            "truth": truth,
        },
        sys.stdout,
    )


main()

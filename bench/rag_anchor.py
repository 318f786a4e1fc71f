#!/usr/bin/env python3
"""Anchor for bench/rag.ts: exact search (numpy), hnswlib HNSW and (when installed) FAISS on the
same vectors and queries, with the HNSW parameters Keel's index used (M, efConstruction, efSearch).
Reads little-endian float32 files written by the TypeScript bench and prints one JSON object.
FAISS IVF-Flat runs with Keel's list and probe counts (NLIST NPROBE).
Usage: rag_anchor.py VECTORS.f32 QUERIES.f32 DIM K [M EF_CONSTRUCTION EF_SEARCH [NLIST NPROBE]]"""
import json
import os
import sys
import time

import numpy as np


def main() -> None:
    vec_path, query_path, dim, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    m, ef_construction, ef = (int(a) for a in sys.argv[5:8]) if len(sys.argv) >= 8 else (16, 200, 64)
    params = f"M={m} ef_construction={ef_construction} ef={ef}"
    nlist, nprobe = (int(a) for a in sys.argv[8:10]) if len(sys.argv) >= 10 else (0, 0)
    x = np.fromfile(vec_path, dtype="<f4").reshape(-1, dim)
    q = np.fromfile(query_path, dtype="<f4").reshape(-1, dim)
    out = {"n": int(x.shape[0]), "dim": dim, "queries": int(q.shape[0]), "k": k}

    # Exact inner-product search (vectors are unit length, so this is cosine), one query at a time
    # to be comparable with per-query latencies elsewhere.
    t0 = time.perf_counter()
    exact = []
    per = []
    for row in q:
        s = time.perf_counter()
        scores = x @ row
        top = np.argpartition(-scores, k)[:k]
        exact.append(top[np.argsort(-scores[top])])
        per.append((time.perf_counter() - s) * 1000)
    out["numpy_exact"] = {"p50_ms": float(np.percentile(per, 50)), "p99_ms": float(np.percentile(per, 99))}
    truth = [set(map(int, e)) for e in exact]

    def recall(results):
        return float(np.mean([len(truth[i] & set(map(int, r))) / k for i, r in enumerate(results)]))

    # RAG_ANCHOR_SKIP_HNSW=1 leaves out both HNSW builds (at 1M rows on 2 cores they take 5-8 minutes each).
    skip_hnsw = os.environ.get("RAG_ANCHOR_SKIP_HNSW") == "1"
    try:
        if skip_hnsw:
            raise ImportError("skipped (RAG_ANCHOR_SKIP_HNSW=1)")
        import hnswlib

        t0 = time.perf_counter()
        index = hnswlib.Index(space="ip", dim=dim)
        index.init_index(max_elements=x.shape[0], ef_construction=ef_construction, M=m, random_seed=42)
        index.set_num_threads(2)
        index.add_items(x, np.arange(x.shape[0]))
        build_s = time.perf_counter() - t0
        index.set_num_threads(1)
        index.set_ef(ef)
        per, results = [], []
        for row in q:
            s = time.perf_counter()
            labels, _ = index.knn_query(row.reshape(1, -1), k=k)
            per.append((time.perf_counter() - s) * 1000)
            results.append(labels[0])
        out["hnswlib"] = {
            "params": f"{params}, build threads 2, query threads 1",
            "build_s": build_s,
            "p50_ms": float(np.percentile(per, 50)),
            "p99_ms": float(np.percentile(per, 99)),
            "recall_at_k": recall(results),
        }
    except ImportError as error:
        out["hnswlib"] = {"error": f"not installed: {error}"}

    try:
        import faiss
    except ImportError:
        faiss = None
    if faiss is None:
        out["faiss_hnsw"] = {"error": "python3-faiss not installed"}
    elif skip_hnsw:
        out["faiss_hnsw"] = {"error": "skipped (RAG_ANCHOR_SKIP_HNSW=1)"}
    else:
        t0 = time.perf_counter()
        faiss.omp_set_num_threads(2)
        index = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ef_construction
        index.add(x)
        build_s = time.perf_counter() - t0
        index.hnsw.efSearch = ef
        faiss.omp_set_num_threads(1)
        per, results = [], []
        for row in q:
            s = time.perf_counter()
            _, labels = index.search(row.reshape(1, -1), k)
            per.append((time.perf_counter() - s) * 1000)
            results.append(labels[0])
        out["faiss_hnsw"] = {
            "params": f"{params}, build threads 2, query threads 1",
            "build_s": build_s,
            "p50_ms": float(np.percentile(per, 50)),
            "p99_ms": float(np.percentile(per, 99)),
            "recall_at_k": recall(results),
        }
    if faiss is not None:
        if nlist > 0:
            faiss.omp_set_num_threads(2)
            t0 = time.perf_counter()
            quantizer = faiss.IndexFlatIP(dim)
            ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
            ivf.train(x)
            ivf.add(x)
            build_s = time.perf_counter() - t0
            ivf.nprobe = nprobe
            faiss.omp_set_num_threads(1)
            per, results = [], []
            for row in q:
                s = time.perf_counter()
                _, labels = ivf.search(row.reshape(1, -1), k)
                per.append((time.perf_counter() - s) * 1000)
                results.append(labels[0])
            out["faiss_ivf_flat"] = {
                "params": f"nlist={nlist} nprobe={nprobe}, build threads 2, query threads 1",
                "build_s": build_s,
                "p50_ms": float(np.percentile(per, 50)),
                "p99_ms": float(np.percentile(per, 99)),
                "recall_at_k": recall(results),
            }

    print(json.dumps(out))


if __name__ == "__main__":
    main()

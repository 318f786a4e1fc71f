#!/usr/bin/env python3
"""Anchor for bench/rag.ts: exact search (numpy), hnswlib HNSW and (when installed) FAISS on the
same vectors and queries. Reads little-endian float32 files written by the TypeScript bench and
prints one JSON object. Usage: rag_anchor.py VECTORS.f32 QUERIES.f32 DIM K"""
import json
import sys
import time

import numpy as np


def main() -> None:
    vec_path, query_path, dim, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
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

    try:
        import hnswlib

        t0 = time.perf_counter()
        index = hnswlib.Index(space="ip", dim=dim)
        index.init_index(max_elements=x.shape[0], ef_construction=200, M=16, random_seed=42)
        index.set_num_threads(2)
        index.add_items(x, np.arange(x.shape[0]))
        build_s = time.perf_counter() - t0
        index.set_num_threads(1)
        index.set_ef(64)
        per, results = [], []
        for row in q:
            s = time.perf_counter()
            labels, _ = index.knn_query(row.reshape(1, -1), k=k)
            per.append((time.perf_counter() - s) * 1000)
            results.append(labels[0])
        out["hnswlib"] = {
            "params": "M=16 ef_construction=200 ef=64",
            "build_s": build_s,
            "p50_ms": float(np.percentile(per, 50)),
            "p99_ms": float(np.percentile(per, 99)),
            "recall_at_k": recall(results),
        }
    except ImportError as error:
        out["hnswlib"] = {"error": f"not installed: {error}"}

    try:
        import faiss

        t0 = time.perf_counter()
        index = faiss.IndexHNSWFlat(dim, 16, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 200
        index.add(x)
        build_s = time.perf_counter() - t0
        index.hnsw.efSearch = 64
        faiss.omp_set_num_threads(1)
        per, results = [], []
        for row in q:
            s = time.perf_counter()
            _, labels = index.search(row.reshape(1, -1), k)
            per.append((time.perf_counter() - s) * 1000)
            results.append(labels[0])
        out["faiss_hnsw"] = {
            "build_s": build_s,
            "p50_ms": float(np.percentile(per, 50)),
            "p99_ms": float(np.percentile(per, 99)),
            "recall_at_k": recall(results),
        }
    except ImportError:
        out["faiss_hnsw"] = {"error": "python3-faiss not installed"}

    print(json.dumps(out))


if __name__ == "__main__":
    main()

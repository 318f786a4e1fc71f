"""Reference prediction server for bench/serve.ts: FastAPI + uvicorn + scikit-learn.

The design users know: train (or unpickle) a model, answer POST /v1/models/{name}/predict with
{"features": {...}} (one row) or {"rows": [...]} (a batch), plus /health. Same routes and bodies as
Keel's server so the load generator sends identical requests to both.

Usage: /usr/bin/python3 bench/serve_fastapi.py --data DATA.csv --model rf|gbdt --port P --workers N
"""
import argparse
import os
import pickle
import socket
import sys
import tempfile
import uuid
from typing import Dict, List, Optional

import numpy as np
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

MODEL_PATH = os.environ.get("KEEL_BENCH_MODEL_PATH")


class PredictBody(BaseModel):
    features: Optional[Dict[str, float]] = None
    rows: Optional[List[Dict[str, float]]] = None


app = FastAPI()
_state = {}


def _model():
    if "model" not in _state:
        with open(MODEL_PATH, "rb") as f:
            _state["model"], _state["names"] = pickle.load(f)
    return _state["model"], _state["names"]


@app.on_event("startup")
def _load():
    _model()


@app.get("/health")
def health():
    return {"status": "ok"}


@app.post("/v1/models/{name}/predict")
def predict(name: str, body: PredictBody):
    model, names = _model()
    rows = body.rows if body.rows is not None else ([body.features] if body.features is not None else None)
    if rows is None:
        raise HTTPException(status_code=400, detail="send features or rows")
    try:
        x = np.array([[r[n] for n in names] for r in rows], dtype=np.float64)
    except KeyError as e:
        raise HTTPException(status_code=422, detail=f"missing feature {e}")
    proba = model.predict_proba(x)
    out = [
        {
            "predictionId": str(uuid.uuid4()),
            "prediction": "yes" if p[1] >= 0.5 else "no",
            "probabilities": {"no": float(p[0]), "yes": float(p[1])},
            "model": name,
            "version": 1,
        }
        for p in proba
    ]
    return {"predictions": out} if body.rows is not None else out[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--model", choices=["rf", "gbdt"], default="rf")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    # uvicorn's "auto" picks uvloop and httptools when they are installed (Debian: python3-uvloop,
    # python3-httptools; pip: uvicorn[standard]), the production setting; asyncio/h11 otherwise.
    parser.add_argument("--loop", default="auto")
    parser.add_argument("--http", default="auto")
    args = parser.parse_args()

    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

    data = np.loadtxt(args.data, delimiter=",", skiprows=1)
    with open(args.data) as f:
        header = f.readline().strip().split(",")
    names = header[:-1]
    x, y = data[:, :-1], data[:, -1]
    if args.model == "rf":
        model = RandomForestClassifier(n_estimators=100, random_state=7)
    else:
        model = HistGradientBoostingClassifier(max_iter=100, random_state=7)
    model.fit(x, y)
    path = os.path.join(tempfile.mkdtemp(prefix="keel-bench-"), "model.pkl")
    with open(path, "wb") as f:
        pickle.dump((model, names), f)
    os.environ["KEEL_BENCH_MODEL_PATH"] = path
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import uvicorn

    import importlib.util

    def have(module):
        return importlib.util.find_spec(module) is not None

    loop = args.loop if args.loop != "auto" else ("uvloop" if have("uvloop") else "asyncio")
    http = args.http if args.http != "auto" else ("httptools" if have("httptools") else "h11")
    print(f"READY {args.port} loop={loop} http={http}", flush=True)
    config = uvicorn.Config(
        "serve_fastapi:app",
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        log_level="warning",
        loop=args.loop,
        http=args.http,
    )
    server = uvicorn.Server(config)
    if args.workers > 1:
        # uvicorn.run(workers=N) shares a listening socket whose accepted connections asyncio does
        # not mark TCP_NODELAY (it checks sock.proto, 0 on the shared socket), so each response's
        # headers and body meet Nagle's algorithm and the client's delayed ACK: a 40 ms stall per
        # request on keep-alive connections. Set on the listening socket, Linux passes it to every
        # accepted connection: the anchor in its best setting.
        from uvicorn.supervisors import Multiprocess

        sock = config.bind_socket()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        Multiprocess(config, target=server.run, sockets=[sock]).run()
    else:
        server.run()


if __name__ == "__main__":
    main()

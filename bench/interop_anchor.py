"""XGBoost side of bench/interop.ts: trains the model Keel imports and times XGBoost's own predict.

Usage: OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=2 /usr/bin/python3 bench/interop_anchor.py CSV WORKDIR
         [--trees 200] [--score-rows 100000] [--threads 2] [--repeat 5] [--single 2000] [--time-only]

Trains binary:logistic (hist, max_depth 6, lr 0.1, 256 bins) on the stratified 80 % train split
(sklearn train_test_split, random_state=42, as bench/gbdt_anchor.py) of the synthetic CSV, with
the categoricals as integer codes in sorted label order (XGBoost 1.7's faster setting). Writes to
WORKDIR: model.json, x.f32 (the first SCORE_ROWS test rows, row-major float32, the exact values
XGBoost sees), y.f32 (their labels) and pred.f32 (XGBoost's probabilities on them). Prints one JSON
line: fit seconds, batch rows/s (DMatrix build included and excluded, inplace_predict) as medians
of REPEAT runs, single-row latency percentiles (inplace_predict and DMatrix + predict, one row per
call), test AUC. `--time-only` skips the training and times the model and rows WORKDIR already
holds (bench/interop.ts alternates such rounds with its own).
"""
import argparse
import json
import os
import time

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

ap = argparse.ArgumentParser()
ap.add_argument('csv')
ap.add_argument('workdir')
ap.add_argument('--trees', type=int, default=200)
ap.add_argument('--score-rows', type=int, default=100_000)
ap.add_argument('--threads', type=int, default=2)
ap.add_argument('--repeat', type=int, default=5)
ap.add_argument('--single', type=int, default=2000)
ap.add_argument('--time-only', action='store_true')
a = ap.parse_args()
os.makedirs(a.workdir, exist_ok=True)

if a.time_only:
    # Later rounds: the model and rows the training run wrote, timed again.
    booster = xgb.Booster()
    booster.load_model(os.path.join(a.workdir, 'model.json'))
    booster.set_param({'nthread': a.threads})
    names = booster.feature_names
    xs = np.fromfile(os.path.join(a.workdir, 'x.f32'), dtype=np.float32).reshape(-1, len(names))
    ys = np.fromfile(os.path.join(a.workdir, 'y.f32'), dtype=np.float32)
    load_s = fit_s = 0.0
    tr = []
else:
    t0 = time.perf_counter()
    df = pd.read_csv(a.csv)
    y = df.pop('label').to_numpy()
    for c in [c for c in df.columns if c.startswith('cat_')]:
        df[c] = df[c].astype('category').cat.codes.astype(np.float32)
    names = list(df.columns)
    X = df.to_numpy(dtype=np.float32)
    del df
    load_s = time.perf_counter() - t0
    tr, te = train_test_split(np.arange(len(y)), test_size=0.2, random_state=42, stratify=y)
    tr, te = np.sort(tr), np.sort(te)
    dtrain = xgb.DMatrix(X[tr], label=y[tr], feature_names=names, nthread=a.threads)
    params = {'objective': 'binary:logistic', 'tree_method': 'hist', 'max_depth': 6, 'max_bin': 256,
              'eta': 0.1, 'nthread': a.threads, 'seed': 0}
    t0 = time.perf_counter()
    booster = xgb.train(params, dtrain, num_boost_round=a.trees)
    fit_s = time.perf_counter() - t0
    del dtrain
    booster.save_model(os.path.join(a.workdir, 'model.json'))

    xs = np.ascontiguousarray(X[te[: a.score_rows]])
    ys = y[te[: a.score_rows]].astype(np.float32)
    del X
    xs.tofile(os.path.join(a.workdir, 'x.f32'))
    ys.tofile(os.path.join(a.workdir, 'y.f32'))
n = xs.shape[0]


def med(f, repeat):
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), out


# Warm-up (first predict builds XGBoost's predictor caches).
booster.predict(xgb.DMatrix(xs[:1000], feature_names=names, nthread=a.threads))
# XGBoost caches predictions per DMatrix object, so each timed predict gets a fresh DMatrix
# (built outside the timer for the 'excluded' figure).
build_times, pred_times = [], []
pred = None
for _ in range(a.repeat):
    t = time.perf_counter()
    dm = xgb.DMatrix(xs, feature_names=names, nthread=a.threads)
    build_times.append(time.perf_counter() - t)
    t = time.perf_counter()
    pred = booster.predict(dm)
    pred_times.append(time.perf_counter() - t)
    del dm
build_s, pred_s = float(np.median(build_times)), float(np.median(pred_times))
both_s, _ = med(lambda: booster.predict(xgb.DMatrix(xs, feature_names=names, nthread=a.threads)),
                a.repeat)
inplace_s, pred_inplace = med(lambda: booster.inplace_predict(xs), a.repeat)
if not a.time_only:
    pred.astype(np.float32).tofile(os.path.join(a.workdir, 'pred.f32'))


def percentiles(f):
    ns = np.empty(a.single, dtype=np.int64)
    for i in range(200):
        f(i % n)
    for i in range(a.single):
        r = i % n
        t = time.perf_counter_ns()
        f(r)
        ns[i] = time.perf_counter_ns() - t
    return {'p50_us': float(np.percentile(ns, 50)) / 1000, 'p99_us': float(np.percentile(ns, 99)) / 1000,
            'mean_us': float(ns.mean()) / 1000}


single_inplace = percentiles(lambda r: booster.inplace_predict(xs[r:r + 1]))
# One thread may suit a single row better (no OpenMP hand-off): measured too, the best is quoted.
booster.set_param({'nthread': 1})
single_inplace_1t = percentiles(lambda r: booster.inplace_predict(xs[r:r + 1]))
booster.set_param({'nthread': a.threads})
single_dmatrix = percentiles(
    lambda r: booster.predict(xgb.DMatrix(xs[r:r + 1], feature_names=names, nthread=a.threads)))

print(json.dumps({
    'side': 'xgboost', 'version': xgb.__version__, 'threads': a.threads, 'trees': a.trees,
    'rows_train': int(len(tr)), 'rows_scored': int(n), 'features': names,
    'load_s': load_s, 'fit_s': fit_s,
    'batch_dmatrix_build_s': build_s,
    'batch_rows_per_s_predict': n / pred_s,
    'batch_rows_per_s_with_dmatrix': n / both_s,
    'batch_rows_per_s_inplace': n / inplace_s,
    'inplace_vs_predict_max_abs': float(np.max(np.abs(pred_inplace - pred))),
    'single_inplace': single_inplace, 'single_inplace_1_thread': single_inplace_1t,
    'single_dmatrix': single_dmatrix,
    'auc_scored_rows': float(roc_auc_score(ys, pred)),
}))

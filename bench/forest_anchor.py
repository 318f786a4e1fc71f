"""scikit-learn RandomForestClassifier anchor for bench/forest.ts.

Usage: OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=2 /usr/bin/python3 bench/forest_anchor.py PREFIX TREES DEPTH JOBS
Reads the float64 files written by bench/forest-data.ts (PREFIX.xtr.f64 ...), where categoricals are
integer codes and missing values NaN. scikit-learn 1.2 random forests reject NaN, so missing cells are
median-imputed (train medians) before the timer starts. Prints one JSON line: fit wall and CPU seconds (all threads) and test AUC.
"""
import json
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score

prefix, trees, depth, jobs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
meta = json.load(open(prefix + '.json'))
d = meta['d']
xtr = np.fromfile(prefix + '.xtr.f64').reshape(-1, d)
ytr = np.fromfile(prefix + '.ytr.f64').astype(int)
xte = np.fromfile(prefix + '.xte.f64').reshape(-1, d)
yte = np.fromfile(prefix + '.yte.f64').astype(int)
med = np.nanmedian(xtr, axis=0)
for x in (xtr, xte):
    rows, cols = np.where(np.isnan(x))
    x[rows, cols] = med[cols]
clf = RandomForestClassifier(n_estimators=trees, max_depth=depth, n_jobs=jobs, random_state=0)
t0 = time.perf_counter()
c0 = time.process_time()
clf.fit(xtr, ytr)
fit = time.perf_counter() - t0
fit_cpu = time.process_time() - c0
t0 = time.perf_counter()
p = clf.predict_proba(xte)[:, 1]
pred = time.perf_counter() - t0
print(json.dumps({'fitSeconds': fit, 'fitCpuSeconds': fit_cpu, 'predictSeconds': pred, 'auc': roc_auc_score(yte, p), 'rows': len(ytr)}))

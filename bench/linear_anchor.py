"""scikit-learn anchor for bench/linear.ts: LogisticRegression(max_iter=5000) / Ridge(alpha=1.0) on the
exact matrices Keel trained on (ANCHORS.md protocol: numeric columns standardised, one-hot columns
raw). Reads DIR/NAME.{xtr,xte,ytr,yte}.f64 and DIR/NAME.json; prints one JSON line per dataset.

Usage: OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=2 /usr/bin/python3 bench/linear_anchor.py DIR NAME...
"""
import json
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import mean_squared_error, roc_auc_score
from sklearn.preprocessing import StandardScaler

d = sys.argv[1]
for name in sys.argv[2:]:
    meta = json.load(open(f'{d}/{name}.json'))
    p = meta['cols']
    xtr = np.fromfile(f'{d}/{name}.xtr.f64').reshape(-1, p)
    xte = np.fromfile(f'{d}/{name}.xte.f64').reshape(-1, p)
    ytr = np.fromfile(f'{d}/{name}.ytr.f64')
    yte = np.fromfile(f'{d}/{name}.yte.f64')
    num = np.array(meta['numeric'], dtype=bool)
    sc = StandardScaler().fit(xtr[:, num])
    ztr, zte = xtr.copy(), xte.copy()
    ztr[:, num] = sc.transform(xtr[:, num])
    zte[:, num] = sc.transform(xte[:, num])
    t = time.perf_counter()
    if meta['task'] == 'regression':
        m = Ridge(alpha=1.0).fit(ztr, ytr)
        fit = time.perf_counter() - t
        score = float(np.sqrt(mean_squared_error(yte, m.predict(zte))))
    else:
        m = LogisticRegression(max_iter=5000).fit(ztr, ytr.astype(int))
        fit = time.perf_counter() - t
        score = float(roc_auc_score(yte, m.predict_proba(zte)[:, 1]))
    print(json.dumps({'name': name, 'score': score, 'fitSeconds': fit}))

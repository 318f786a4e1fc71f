"""XGBoost anchor for bench/outofcore.ts: in-memory hist GBDT on the same synthetic CSV.

Usage: OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=2 /usr/bin/python3 bench/outofcore_anchor.py CSV TREES LEAVES
Loads the whole CSV (pandas), holds out a seeded 20 % test part, grows TREES trees of at most
LEAVES leaves (lossguide, lr 0.1, 255 bins, no L2), prints one JSON line: load and fit seconds, test
AUC and this process's peak RSS (VmHWM). /usr/bin/time -v around it gives the same peak.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score


def vmhwm_mib():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    return -1


path, trees, leaves = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0 = time.perf_counter()
df = pd.read_csv(path)
y = df.pop('label').to_numpy()
for c in [c for c in df.columns if c.startswith('cat_')]:
    df[c] = df[c].astype('category').cat.codes.astype(np.float32)
X = df.to_numpy(dtype=np.float32)
del df
load_s = time.perf_counter() - t0
rng = np.random.default_rng(42)
test = rng.random(len(y)) < 0.2
dtrain = xgb.QuantileDMatrix(X[~test], label=y[~test], max_bin=255)
t1 = time.perf_counter()
booster = xgb.train(
    {
        'objective': 'binary:logistic',
        'tree_method': 'hist',
        'grow_policy': 'lossguide',
        'max_leaves': leaves,
        'max_depth': 0,
        'eta': 0.1,
        'max_bin': 255,
        'lambda': 0.0,
        'min_child_weight': 1e-3,
        'nthread': 2,
    },
    dtrain,
    num_boost_round=trees,
)
fit_s = time.perf_counter() - t1
auc = roc_auc_score(y[test], booster.predict(xgb.DMatrix(X[test])))
print(json.dumps({'side': 'xgboost', 'rows': int(len(y)), 'load_s': load_s, 'fit_s': fit_s, 'auc': float(auc), 'vmhwm_mib': vmhwm_mib()}))

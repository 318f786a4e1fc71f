"""XGBoost anchor for bench/gbdt.ts: same CSV, same stratified 80/20 split, same tree settings.

Usage: OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=2 /usr/bin/python3 bench/gbdt_anchor.py CSV MASK_OUT [TREES]
Writes the test-row mask (1 byte per row, 1 = test) to MASK_OUT so Keel uses the same rows, and
prints one JSON line: fit seconds, predict rows/s, test AUC, peak RSS (VmHWM) of this process.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split


def vmhwm_kib():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    return -1


path, mask_out = sys.argv[1], sys.argv[2]
trees = int(sys.argv[3]) if len(sys.argv) > 3 else 200
t0 = time.perf_counter()
df = pd.read_csv(path)
y = df.pop('label').to_numpy()
cat_cols = [c for c in df.columns if c.startswith('cat_')]
for c in cat_cols:
    # Integer codes in sorted label order (the same codes Keel's bench gives its model).
    df[c] = df[c].astype('category').cat.codes.astype(np.float32)
X = df.to_numpy(dtype=np.float32)
del df
load_s = time.perf_counter() - t0
idx = np.arange(len(y))
tr, te = train_test_split(idx, test_size=0.2, random_state=42, stratify=y)
mask = np.zeros(len(y), dtype=np.uint8)
mask[te] = 1
mask.tofile(mask_out)
Xtr, ytr, Xte, yte = X[np.sort(tr)], y[np.sort(tr)], X[np.sort(te)], y[np.sort(te)]
del X
model = xgb.XGBClassifier(tree_method='hist', n_estimators=trees, max_depth=6, max_bin=256,
                          learning_rate=0.1, n_jobs=2)
t0 = time.perf_counter()
c0 = time.process_time()
model.fit(Xtr, ytr)
fit_s = time.perf_counter() - t0
fit_cpu_s = time.process_time() - c0
t0 = time.perf_counter()
p = model.predict_proba(Xte)[:, 1]
pred_s = time.perf_counter() - t0
print(json.dumps({
    'side': 'xgboost', 'version': xgb.__version__, 'rows_train': int(len(ytr)), 'rows_test': int(len(yte)),
    'load_s': load_s, 'fit_s': fit_s, 'fit_cpu_s': fit_cpu_s, 'predict_rows_per_s': len(yte) / pred_s,
    'auc': float(roc_auc_score(yte, p)), 'vmhwm_mib': vmhwm_kib() / 1024,
}))

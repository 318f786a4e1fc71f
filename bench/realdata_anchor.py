"""Anchors of the realdata bench: scikit-learn and XGBoost by their usual recipe on every set of
bench/realdata/data/datasets.json, with the ANCHORS.md protocol (../shared/datasets/ANCHORS.md).

Usage: OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=2 /usr/bin/python3 bench/realdata_anchor.py [--all] [--repeats N] [names...]
Without names, computes the sets missing from anchors.json except the shared ones (their anchors
are in ANCHORS.md and bench/lib/anchor-data.ts); --all recomputes every set.
Writes bench/realdata/data/anchors.json ({name: {metric, linear, rf, hgb, xgb}}), merging with
what is there, and prints one line per set. Split: the row indices in data/splits (written by
make-datasets.py with train_test_split(test_size=0.2, random_state=42, stratify=y for binary)).

--repeats N: the same protocol on N more splits per set, train_test_split(test_size=0.2,
random_state=s, stratify=y for binary) for s = 0..N-1, shared sets included (their anchors are
recomputed here). Writes the splits to data/splits/NAME.rS.json (bench/realdata.ts --repeats reads
the same files, so both sides score the same rows) and the scores to data/anchors-repeats.json
({name: {S: {metric, linear, rf, hgb, xgb}}}), merging; sets already there are skipped unless --all.
Preprocessing fitted on the train part: numerics median-imputed (standardised for linear only),
categoricals with missing as their own level then one-hot, unknown levels ignored.
Models: LogisticRegression(max_iter=5000) / Ridge(alpha=1); RandomForest(n_estimators=200,
random_state=0); HistGradientBoosting(random_state=0) defaults; XGB(tree_method='hist',
n_estimators=500, learning_rate=0.05, max_depth=6, early_stopping_rounds=50) early-stopped on a
(stratified) 10 % slice of the train part (random_state=42), trained on the other 90 %.
"""
import json
import os
import sys
import warnings

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import mean_squared_error, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

warnings.filterwarnings('ignore')
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'realdata', 'data')
meta = json.load(open(os.path.join(DATA, 'datasets.json')))['datasets']
argv = sys.argv[1:]
recompute = '--all' in argv
repeats = 0
if '--repeats' in argv:
    i = argv.index('--repeats')
    repeats = int(argv[i + 1])
    argv = argv[:i] + argv[i + 2:]
want = [a for a in argv if a != '--all']
out_path = os.path.join(DATA, 'anchors-repeats.json' if repeats else 'anchors.json')
results = json.load(open(out_path)) if os.path.exists(out_path) else {}
SHARED = os.path.normpath(os.path.join(DATA, '..', '..', '..', '..', 'shared', 'datasets'))

def load(d):
    df = pd.read_csv(d['file'], keep_default_na=False, na_values=[''])
    yraw = df.pop(d['target'])
    binary = d['task'] == 'binary'
    y = (yraw.astype(str) == d['positive_class']).astype(int).values if binary else yraw.astype(float).values
    cats = [c for c in df.columns if df[c].dtype == object]
    nums = [c for c in df.columns if c not in cats]
    for c in cats:
        df[c] = df[c].fillna('__missing__').astype(str)
    return df, y, binary, cats, nums


def repeat_split(d, y, binary, seed):
    """Split `seed` of the repeated-split mode, written once and then read back (both sides use it)."""
    path = os.path.join(DATA, 'splits', f"{d['name']}.r{seed}.json")
    if not os.path.exists(path):
        tr, te = train_test_split(np.arange(len(y)), test_size=0.2, random_state=seed,
                                  stratify=y if binary else None)
        json.dump({'train': tr.tolist(), 'test': te.tolist()}, open(path, 'w'))
    return json.load(open(path))


def anchor_scores(df, y, binary, cats, nums, split):
    tr, te = np.array(split['train']), np.array(split['test'])
    xtr, xte, ytr, yte = df.iloc[tr], df.iloc[te], y[tr], y[te]

    def prep(scale):
        num = make_pipeline(SimpleImputer(strategy='median'), StandardScaler()) if scale else SimpleImputer(strategy='median')
        return ColumnTransformer([('num', num, nums),
                                  ('cat', OneHotEncoder(handle_unknown='ignore', sparse_output=False), cats)])

    def score(model, x):
        if binary:
            return roc_auc_score(yte, model.predict_proba(x)[:, 1])
        return float(np.sqrt(mean_squared_error(yte, model.predict(x))))

    r = {'metric': 'roc_auc' if binary else 'rmse'}
    lin = LogisticRegression(max_iter=5000) if binary else Ridge(alpha=1.0)
    m = make_pipeline(prep(True), lin).fit(xtr, ytr)
    r['linear'] = score(m, xte)
    rf = (RandomForestClassifier if binary else RandomForestRegressor)(n_estimators=200, random_state=0, n_jobs=2)
    r['rf'] = score(make_pipeline(prep(False), rf).fit(xtr, ytr), xte)
    hgb = (HistGradientBoostingClassifier if binary else HistGradientBoostingRegressor)(random_state=0)
    r['hgb'] = score(make_pipeline(prep(False), hgb).fit(xtr, ytr), xte)
    p = prep(False).fit(xtr)
    a, b = train_test_split(np.arange(len(ytr)), test_size=0.1, random_state=42, stratify=ytr if binary else None)
    X = (xgb.XGBClassifier if binary else xgb.XGBRegressor)(
        tree_method='hist', n_estimators=500, learning_rate=0.05, max_depth=6, early_stopping_rounds=50, n_jobs=2)
    xt = p.transform(xtr)
    X.fit(xt[a], ytr[a], eval_set=[(xt[b], ytr[b])], verbose=False)
    xe = p.transform(xte)
    r['xgb'] = roc_auc_score(yte, X.predict_proba(xe)[:, 1]) if binary else float(np.sqrt(mean_squared_error(yte, X.predict(xe))))
    return r


for d in meta:
    if want and d['name'] not in want:
        continue
    if repeats:
        if not want and not recompute and len(results.get(d['name'], {})) >= repeats:
            continue
        df, y, binary, cats, nums = load(d)
        per = results.get(d['name'], {})
        for seed in range(repeats):
            if str(seed) in per and not recompute and not want:
                continue
            per[str(seed)] = anchor_scores(df, y, binary, cats, nums, repeat_split(d, y, binary, seed))
            print(d['name'], seed, json.dumps(per[str(seed)]), flush=True)
        results[d['name']] = per
        json.dump(results, open(out_path, 'w'), indent=1)
        continue
    # The shared sets' anchors are published in ANCHORS.md (same protocol, same split); the
    # runner reads them from there, so only recompute them on request (--all, or by name).
    if not want and not recompute and os.path.dirname(d['file']) == SHARED:
        continue
    if not want and not recompute and d['name'] in results:
        continue
    df, y, binary, cats, nums = load(d)
    split = json.load(open(os.path.join(DATA, 'splits', d['name'] + '.json')))
    r = anchor_scores(df, y, binary, cats, nums, split)
    results[d['name']] = r
    print(d['name'], json.dumps(r), flush=True)
    json.dump(results, open(out_path, 'w'), indent=1)
json.dump(results, open(out_path, 'w'), indent=1)

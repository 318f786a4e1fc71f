"""Writes the scikit-learn bundled and seeded synthetic sets of the realdata bench, then
datasets.json (one entry per set, shared ones included) and the fixed split of every set.

Usage: /usr/bin/python3 bench/realdata/make-datasets.py OUT_DIR
Splits follow ../shared/datasets/ANCHORS.md: train_test_split(test_size=0.2, random_state=42,
stratify=y) for binary, no stratify for regression; written as row indices to OUT_DIR/splits.
The repeated-split mode's splits (the same call with random_state=0..REPEATS-1) go to
OUT_DIR/splits/NAME.rS.json.
"""
import json
import os
import sys

import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, '..', '..', '..', 'shared', 'datasets'))
out = sys.argv[1]
os.makedirs(os.path.join(out, 'splits'), exist_ok=True)


def write(df, name):
    df.to_csv(os.path.join(out, name + '.csv'), index=False, na_rep='')


# scikit-learn bundled (no download).
d = load_diabetes(as_frame=True).frame
write(d, 'sk_diabetes')


def synth_manycat(seed=1, n=6000):
    """Rare positives (~6 %), three many-level categoricals of which only one carries a weak
    signal, 2 % label flips and missing numerics: the case where native categorical splits
    memorise noise levels."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8))
    x[rng.random((n, 8)) < 0.1] = np.nan
    c1 = rng.integers(0, 40, n)   # signal: 5 of 40 levels raise risk
    c2 = rng.integers(0, 120, n)  # pure noise
    c3 = rng.zipf(1.6, n) % 200   # pure noise, long-tailed frequencies
    eff = np.zeros(40)
    eff[:5] = 1.2
    z = -3.9 + 0.8 * np.nan_to_num(x[:, 0]) - 0.6 * np.nan_to_num(x[:, 1]) + 0.5 * np.nan_to_num(x[:, 2]) * np.nan_to_num(x[:, 3]) + eff[c1]
    y = rng.random(n) < 1 / (1 + np.exp(-z))
    flip = rng.random(n) < 0.02
    y = np.where(flip, ~y, y)
    df = pd.DataFrame(x, columns=[f'x{i}' for i in range(8)])
    df['c1'] = [f'a{v}' for v in c1]
    df['c2'] = [f'b{v}' for v in c2]
    df['c3'] = [f'z{v}' for v in c3]
    df['y'] = np.where(y, 'yes', 'no')
    return df


def synth_rare(seed=2, n=10000):
    """~3 % positives, threshold and interaction structure, 20 % missing in two columns where
    missingness itself is informative, a 12-level categorical with signal."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 10))
    c = rng.integers(0, 12, n)
    ceff = rng.normal(0, 0.7, 12)
    z = -5.2 + 1.5 * (x[:, 0] > 1) + 0.9 * x[:, 1] * (x[:, 2] > 0) + 0.6 * np.abs(x[:, 3]) + ceff[c]
    miss = rng.random(n) < 0.2
    z = z + 0.8 * miss
    y = rng.random(n) < 1 / (1 + np.exp(-z))
    x[miss, 4] = np.nan
    x[rng.random(n) < 0.2, 5] = np.nan
    df = pd.DataFrame(x, columns=[f'x{i}' for i in range(10)])
    df['grp'] = [f'g{v}' for v in c]
    df['y'] = np.where(y, 'yes', 'no')
    return df


def synth_reg(seed=3, n=3000):
    """Regression with a smooth part, a step, a 60-level categorical (half its levels shift the
    target) and heavy noise."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, size=(n, 6))
    c = rng.integers(0, 60, n)
    ceff = np.where(np.arange(60) < 30, rng.normal(0, 1, 60), 0)
    yv = np.sin(x[:, 0] * 1.5) * 2 + x[:, 1] ** 2 + 1.5 * (x[:, 2] > 0.5) + ceff[c] + rng.normal(0, 1.2, n)
    x[rng.random((n, 6)) < 0.05] = np.nan
    df = pd.DataFrame(x, columns=[f'x{i}' for i in range(6)])
    df['cat'] = [f'k{v}' for v in c]
    df['target'] = yv
    return df


write(synth_manycat(), 'synth_manycat')
write(synth_rare(), 'synth_rare')
write(synth_reg(), 'synth_reg')

sets = []
for m in json.load(open(os.path.join(SHARED, 'datasets.json')))['datasets']:
    sets.append({'name': m['name'], 'file': os.path.join(SHARED, m['file']), 'target': m['target'],
                 'task': m['task'], 'positive_class': m.get('positive_class'), 'source': m['source']})
R = 'R package modeldata 1.1.0'
M = 'R package mlbench'
for name, target, task, pos, src in [
    ('lending_club', 'Class', 'binary', 'bad', R), ('wa_churn', 'churn', 'binary', 'Yes', R),
    ('ad_data', 'Class', 'binary', 'Impaired', R), ('concrete', 'compressive_strength', 'regression', None, R),
    ('pima2', 'diabetes', 'binary', 'pos', M), ('sonar', 'Class', 'binary', 'M', M),
    ('ionosphere', 'Class', 'binary', 'bad', M), ('boston', 'medv', 'regression', None, M),
    ('sk_diabetes', 'target', 'regression', None, 'scikit-learn load_diabetes'),
    ('synth_manycat', 'y', 'binary', 'yes', 'synthetic (make-datasets.py)'),
    ('synth_rare', 'y', 'binary', 'yes', 'synthetic (make-datasets.py)'),
    ('synth_reg', 'target', 'regression', None, 'synthetic (make-datasets.py)'),
]:
    sets.append({'name': name, 'file': os.path.join(out, name + '.csv'), 'target': target, 'task': task,
                 'positive_class': pos, 'source': src})
REPEATS = 5
for s in sets:
    df = pd.read_csv(s['file'], keep_default_na=False, na_values=[''])
    idx = np.arange(len(df))
    y = None if s['task'] == 'regression' else (df[s['target']].astype(str) == s['positive_class']).astype(int).values
    for seed, suffix in [(42, '')] + [(r, f'.r{r}') for r in range(REPEATS)]:
        tr, te = train_test_split(idx, test_size=0.2, random_state=seed, stratify=y)
        with open(os.path.join(out, 'splits', s['name'] + suffix + '.json'), 'w') as f:
            json.dump({'train': tr.tolist(), 'test': te.tolist()}, f)
    s['rows'] = int(len(df))
    s['positive_share'] = None if y is None else float(y.mean())
json.dump({'datasets': sets}, open(os.path.join(out, 'datasets.json'), 'w'), indent=1)
for s in sets:
    print(f"{s['name']:14s} {s['task']:10s} rows={s['rows']:6d} pos={s['positive_share']}")

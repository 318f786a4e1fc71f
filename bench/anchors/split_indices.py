"""Writes the ANCHORS.md train/test split of each shared dataset as row indices (JSON).

Usage: /usr/bin/python3 bench/anchors/split_indices.py OUT_DIR
Protocol (../shared/datasets/ANCHORS.md): train_test_split(test_size=0.2, random_state=42,
stratify=y) for classification, no stratify for regression.
"""
import json
import os
import sys

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, '..', '..', '..', 'shared', 'datasets')
out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)
meta = json.load(open(os.path.join(DATA, 'datasets.json')))
for d in meta['datasets']:
    df = pd.read_csv(os.path.join(DATA, d['file']))
    idx = np.arange(len(df))
    if d['task'] == 'regression':
        tr, te = train_test_split(idx, test_size=0.2, random_state=42)
    else:
        y = (df[d['target']].astype(str) == str(d['positive_class'])).astype(int).values
        tr, te = train_test_split(idx, test_size=0.2, random_state=42, stratify=y)
    with open(os.path.join(out_dir, d['name'] + '.json'), 'w') as f:
        json.dump({'train': tr.tolist(), 'test': te.tolist()}, f)

#!/usr/bin/env python3
"""Scores each boosted anchor against issue 14's GBDT target (>= per-split max(XGBoost, HGB) - 0.003
AUC, or RMSE <= 1.02 x per-split min) over the repeated splits, to show how strict that target is:
an anchor that cannot meet it against itself is not a bar Keel can be held to on every set.

Usage: /usr/bin/python3 bench/realdata/anchor-self-check.py   (after realdata_anchor.py --repeats 5)
"""
import json
import pathlib
import statistics as st

path = pathlib.Path(__file__).parent / 'data' / 'anchors-repeats.json'
d = json.loads(path.read_text())
fails = {'xgb': 0, 'hgb': 0}
print('dataset        xgb vs target   hgb vs target   (mean over splits of anchor - per-split best)')
for name, reps in d.items():
    metric = reps['0']['metric']
    out = []
    for a in ('xgb', 'hgb'):
        diffs = []
        for r in reps.values():
            if metric == 'rmse':
                diffs.append((r[a] / min(r['xgb'], r['hgb']) - 1) * 100)
            else:
                diffs.append(r[a] - max(r['xgb'], r['hgb']))
        mean = st.mean(diffs)
        ok = mean <= 2 if metric == 'rmse' else mean >= -0.003
        fails[a] += not ok
        unit = ' %' if metric == 'rmse' else ''
        out.append(f"{mean:+.4f}{unit}{'' if ok else ' MISS'}".ljust(16))
    print(name.ljust(14), *out)
print(f"misses: xgb {fails['xgb']} of {len(d)}, hgb {fails['hgb']} of {len(d)}")

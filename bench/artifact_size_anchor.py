"""Artifact-size anchor for bench/artifact-size.ts: the same model shapes in scikit-learn (pickle)
and XGBoost (UBJSON). Usage: python3 bench/artifact_size_anchor.py CSV TARGET RF_TREES GBDT_TREES
Numeric columns only (the TypeScript side uses the same columns). Prints one JSON line."""
import io, json, pickle, sys, tempfile, os
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor
import xgboost as xgb

path, target, rf_trees, gb_trees = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
df = pd.read_csv(path)
y = df[target].to_numpy(dtype=float)
x = df.drop(columns=[target]).select_dtypes("number").to_numpy(dtype=float)
rf = RandomForestRegressor(n_estimators=rf_trees, random_state=1, n_jobs=2).fit(x, y)
rf_nodes = int(sum(e.tree_.node_count for e in rf.estimators_))
gb = xgb.XGBRegressor(n_estimators=gb_trees, max_depth=6, learning_rate=0.1, tree_method="hist", n_jobs=2).fit(x, y)
with tempfile.TemporaryDirectory() as d:
    p = os.path.join(d, "m.ubj")
    gb.get_booster().save_model(p)
    ubj = os.path.getsize(p)
print(json.dumps({"rf_pickle": len(pickle.dumps(rf, protocol=5)), "rf_nodes": rf_nodes,
                  "gbdt_ubj": ubj, "gbdt_pickle": len(pickle.dumps(gb, protocol=5))}))

"""Train XGBoost (tree_method=hist) on the CSVs xgb-compare wrote.

usage: xgb_train.py TRAIN TEST DEPTH ROUNDS LR THREADS PRED_OUT
Prints load and train seconds; writes one test probability per line.
"""
import sys
import time

import numpy as np
import xgboost as xgb

train, test, depth, rounds, lr, threads, pred_out = sys.argv[1:8]
t0 = time.time()
dtrain = xgb.DMatrix(train + "?format=csv&label_column=0")
dtest = xgb.DMatrix(test + "?format=csv&label_column=0")
t1 = time.time()
params = {
    "objective": "binary:logistic",
    "tree_method": "hist",
    "max_depth": int(depth),
    "eta": float(lr),
    "lambda": 1.0,
    "min_child_weight": 1.0,
    "max_bin": 256,
    "nthread": int(threads),
}
bst = xgb.train(params, dtrain, num_boost_round=int(rounds))
t2 = time.time()
np.savetxt(pred_out, bst.predict(dtest), fmt="%.9g")
print("xgboost %s rows=%d cols=%d trees=%d threads=%s load_s=%.2f train_s=%.2f"
      % (xgb.__version__, dtrain.num_row(), dtrain.num_col(), int(rounds), threads, t1 - t0, t2 - t1))

"""Reference side of the xgbconv tests: train and score with real XGBoost.

train   <data.csv> <model.json> <pred.csv> [--booster gbtree|dart]
        [--parallel N] [--base-score P] [--rounds N]
    data.csv has a header, the label in the first column, features after it,
    empty cells for missing values. Trains binary:logistic with
    tree_method=hist, max_depth=6, saves the JSON model and writes one
    probability per row.
predict <model.json> <rows.csv> <pred.csv>
    Scores rows.csv (same layout, label ignored) with a saved model.

Probabilities are written with repr(), which round-trips the float32 value.
"""
import argparse
import csv

import numpy as np
import xgboost as xgb


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    data = np.array(
        [[float(c) if c != "" else np.nan for c in r] for r in body],
        dtype=np.float64,
    )
    return header[1:], data[:, 0], data[:, 1:]


def write_preds(path, preds):
    with open(path, "w") as f:
        for p in preds:
            f.write(repr(float(p)) + "\n")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    tr = sub.add_parser("train")
    tr.add_argument("data")
    tr.add_argument("model")
    tr.add_argument("pred")
    tr.add_argument("--booster", default="gbtree")
    tr.add_argument("--parallel", type=int, default=1)
    tr.add_argument("--base-score", type=float, default=0.5)
    tr.add_argument("--rounds", type=int, default=50)
    pr = sub.add_parser("predict")
    pr.add_argument("model")
    pr.add_argument("rows")
    pr.add_argument("pred")
    a = ap.parse_args()

    if a.cmd == "train":
        names, y, X = load(a.data)
        # The DMatrix converts the float64 array to float32 itself, exactly
        # as XGBoost does for any caller.
        dm = xgb.DMatrix(X, label=y, missing=np.nan, feature_names=names)
        params = {
            "objective": "binary:logistic",
            "tree_method": "hist",
            "max_depth": 6,
            "eta": 0.3,
            "booster": a.booster,
            "num_parallel_tree": a.parallel,
            "base_score": a.base_score,
            "seed": 7,
            "nthread": 1,
        }
        if a.booster == "dart":
            params.update({"rate_drop": 0.3, "skip_drop": 0.0})
        if a.parallel > 1:
            params.update({"subsample": 0.8, "colsample_bynode": 0.8})
        bst = xgb.train(params, dm, num_boost_round=a.rounds)
        bst.save_model(a.model)
        write_preds(a.pred, bst.predict(dm))
    else:
        bst = xgb.Booster(model_file=a.model)
        names, _, X = load(a.rows)
        dm = xgb.DMatrix(X, missing=np.nan, feature_names=names)
        write_preds(a.pred, bst.predict(dm))


if __name__ == "__main__":
    main()

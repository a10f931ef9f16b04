"""Train an XGBoost model on a flow CSV exported by `train --csv`.

Used by the XGBoost round-trip test in cmd/train: it fits a binary model on
the named feature columns and writes the model JSON (feature names set) and
XGBoost's own probability for every CSV row, one per line, in row order.

    xgb_train.py FLOWS.csv FEATURE_NAMES.txt OUT_MODEL.json OUT_PREDICTIONS.txt
"""
import csv
import sys

import numpy as np
import xgboost as xgb


def main():
    csv_path, names_path, model_path, pred_path = sys.argv[1:5]
    with open(names_path) as f:
        names = [line.strip() for line in f if line.strip()]
    rows, labels = [], []
    with open(csv_path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        col = {h: i for i, h in enumerate(header)}
        missing = [n for n in names if n not in col]
        if missing:
            sys.exit("feature columns missing from %s: %s" % (csv_path, missing[:5]))
        idx = [col[n] for n in names]
        label_col = col["label"]
        for rec in reader:
            rows.append([float(rec[i]) if rec[i] != "" else float("nan") for i in idx])
            labels.append(1.0 if rec[label_col] == "malicious" else 0.0)
    x = np.array(rows, dtype=np.float64)
    y = np.array(labels)
    d = xgb.DMatrix(x, label=y, feature_names=names)
    params = {
        "objective": "binary:logistic",
        "tree_method": "hist",
        "max_depth": 6,
        "eta": 0.3,
        "seed": 1,
        "nthread": 1,
    }
    bst = xgb.train(params, d, num_boost_round=50)
    bst.save_model(model_path)
    with open(pred_path, "w") as f:
        for p in bst.predict(d):
            f.write(repr(float(p)) + "\n")


if __name__ == "__main__":
    main()

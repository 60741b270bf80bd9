#!/usr/bin/python3
"""Train real XGBoost models on synthetic data and write the fixtures the C# tests compare against.

Run with the Debian interpreter that has python3-xgboost:  /usr/bin/python3 models/reference/make_fixtures.py
Outputs (gzip, deterministic for a given xgboost build) into models/reference/fixtures/:
  features.csv.gz          rows of float32 features, NaN = missing ('%.9g', so float32 round-trips exactly)
  <name>.json.gz           booster.save_model(...json)
  <name>.pred.csv.gz       per row: margin (output_margin=True), prediction (probability or value)
  manifest.json            xgboost/numpy versions and each model's parameters
"""
import gzip
import json
import os

import numpy as np
import xgboost as xgb

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
N_TRAIN, N_TEST, N_FEAT = 4000, 2000, 12


def make_data(rng, n):
    x = rng.normal(size=(n, N_FEAT)).astype(np.float32)
    x[:, 3] = np.round(x[:, 3] * 3)                     # a few discrete levels: ties with thresholds
    x[:, 7] = np.abs(x[:, 7]) * 1000                    # large magnitudes
    logit = 1.5 * x[:, 0] - 2 * x[:, 1] * x[:, 2] + 0.5 * x[:, 3] + np.sin(x[:, 4] * 2) + 0.001 * x[:, 7]
    y_cls = (logit + rng.logistic(size=n) > 0).astype(np.float32)
    y_reg = (logit + 0.3 * rng.normal(size=n)).astype(np.float32)
    mask = rng.random(size=x.shape) < 0.12              # 12 % missing, everywhere
    x[mask] = np.nan
    return x, y_cls, y_reg


MODELS = [
    # name, params, rounds, target
    ("logistic_1x3", dict(objective="binary:logistic", max_depth=3), 1, "cls"),
    ("squared_10x1", dict(objective="reg:squarederror", max_depth=1, base_score=0.3), 10, "reg"),
    ("logistic_100x6", dict(objective="binary:logistic", max_depth=6, base_score=0.2), 100, "cls"),
    ("logitraw_20x10", dict(objective="binary:logitraw", max_depth=10, min_child_weight=0, base_score=0.3), 20, "cls"),
    ("logistic_500x4", dict(objective="binary:logistic", max_depth=4, eta=0.05), 500, "cls"),
    ("forest_4x5", dict(objective="binary:logistic", max_depth=5, num_parallel_tree=5, subsample=0.6,
                        colsample_bynode=0.7, eta=1.0), 4, "cls"),
]


def fmt(v):
    return "%.9g" % np.float32(v)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261123)
    x_train, yc_train, yr_train = make_data(rng, N_TRAIN)
    x_test, _, _ = make_data(rng, N_TEST)
    dtest = xgb.DMatrix(x_test, missing=np.nan)
    manifest = {"xgboost": xgb.__version__, "numpy": np.__version__, "features": N_FEAT, "rows": N_TEST, "models": {}}

    with gzip.open(os.path.join(OUT, "features.csv.gz"), "wt", compresslevel=9) as f:
        for row in x_test:
            f.write(",".join("nan" if np.isnan(v) else fmt(v) for v in row) + "\n")

    for name, params, rounds, target in MODELS:
        p = dict(params, tree_method="exact", seed=7, nthread=1)
        label = yc_train if target == "cls" else yr_train
        booster = xgb.train(p, xgb.DMatrix(x_train, label=label, missing=np.nan), num_boost_round=rounds)
        path = os.path.join(OUT, name + ".json")
        booster.save_model(path)
        with open(path, "rb") as src, gzip.open(path + ".gz", "wb", compresslevel=9) as dst:
            dst.write(src.read())
        os.remove(path)
        margin = booster.predict(dtest, output_margin=True)
        pred = booster.predict(dtest)
        assert margin.dtype == np.float32 and pred.dtype == np.float32
        with gzip.open(os.path.join(OUT, name + ".pred.csv.gz"), "wt", compresslevel=9) as f:
            for m, q in zip(margin, pred):
                f.write(fmt(m) + "," + fmt(q) + "\n")
        manifest["models"][name] = dict(params=p, rounds=rounds, target=target)

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Train real XGBoost models on synthetic data and write the fixtures the C# tests compare against.

Run with the Debian interpreter that has python3-xgboost:  /usr/bin/python3 models/reference/make_fixtures.py
Outputs (gzip, deterministic for a given xgboost build) into models/reference/fixtures/:
  features.csv.gz          rows of float32 features, NaN = missing ('%.9g', so float32 round-trips exactly)
  <name>.json.gz           booster.save_model(...json)
  <name>.pred.csv.gz       per row: margin (output_margin=True), prediction (probability or value)
  <name>.contribs.csv.gz   for CONTRIB_MODELS, first CONTRIB_ROWS rows: xgboost's own Saabas contributions
                           (pred_contribs=True, approx_contribs=True), one column per feature then the bias
  logistic_100x6.v2form.json.gz
                           the same model rewritten in the XGBoost 2.x/3.x JSON form (version [2, 1, 3],
                           bracketed base_score "[2E-1]", iteration_indptr, feature_names/feature_types):
                           hand-made from the 1.7.4 model because only 1.7 is packaged here, so the 1.7.4
                           predictions stay the expected output
  manifest.json            xgboost/numpy versions and each model's parameters
Together the models cover 1, 10, 20..100 and 500 trees, every depth from 1 to 10, boosted and forest,
logistic / logitraw / squared error, on data with 12 % missing values. gzip headers carry mtime 0 so a
rerun with the same xgboost build rewrites identical bytes.
"""
import gzip
import io
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
    ("logistic_30x2", dict(objective="binary:logistic", max_depth=2, eta=0.3), 30, "cls"),
    ("squared_25x7", dict(objective="reg:squarederror", max_depth=7, eta=0.2), 25, "reg"),
    ("logistic_12x8", dict(objective="binary:logistic", max_depth=8, min_child_weight=0.5), 12, "cls"),
    ("logitraw_8x9", dict(objective="binary:logitraw", max_depth=9, min_child_weight=0.2), 8, "cls"),
]
CONTRIB_MODELS = ["logistic_100x6", "logitraw_20x10", "logistic_12x8"]
CONTRIB_ROWS = 300


def fmt(v):
    return "%.9g" % np.float32(v)


def gz_text(path):
    return io.TextIOWrapper(gzip.GzipFile(path, "wb", compresslevel=9, mtime=0), encoding="ascii", newline="\n")


def write_v2_form(src_path, dst_path):
    """Rewrite a 1.7 model JSON in the 2.x/3.x form; the trees (and so the predictions) are unchanged."""
    with gzip.open(src_path, "rt") as f:
        model = json.load(f)
    learner = model["learner"]
    model["version"] = [2, 1, 3]
    base = learner["learner_model_param"]["base_score"]
    learner["learner_model_param"]["base_score"] = "[" + base + "]"
    learner["feature_names"] = ["f%d" % i for i in range(N_FEAT)]
    learner["feature_types"] = ["float"] * N_FEAT
    gb = learner["gradient_booster"]["model"]
    gb["iteration_indptr"] = list(range(len(gb["trees"]) + 1))
    gb["gbtree_model_param"].pop("size_leaf_vector", None)
    for tree in gb["trees"]:
        tree["tree_param"]["size_leaf_vector"] = "1"
    with gz_text(dst_path) as f:
        json.dump(model, f, separators=(",", ":"))


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261123)
    x_train, yc_train, yr_train = make_data(rng, N_TRAIN)
    x_test, _, _ = make_data(rng, N_TEST)
    dtest = xgb.DMatrix(x_test, missing=np.nan)
    manifest = {"xgboost": xgb.__version__, "numpy": np.__version__, "features": N_FEAT, "rows": N_TEST, "models": {}}

    with gz_text(os.path.join(OUT, "features.csv.gz")) as f:
        for row in x_test:
            f.write(",".join("nan" if np.isnan(v) else fmt(v) for v in row) + "\n")

    for name, params, rounds, target in MODELS:
        p = dict(params, tree_method="exact", seed=7, nthread=1)
        label = yc_train if target == "cls" else yr_train
        booster = xgb.train(p, xgb.DMatrix(x_train, label=label, missing=np.nan), num_boost_round=rounds)
        path = os.path.join(OUT, name + ".json")
        booster.save_model(path)
        with open(path, "rb") as src, gzip.GzipFile(path + ".gz", "wb", compresslevel=9, mtime=0) as dst:
            dst.write(src.read())
        os.remove(path)
        margin = booster.predict(dtest, output_margin=True)
        pred = booster.predict(dtest)
        assert margin.dtype == np.float32 and pred.dtype == np.float32
        with gz_text(os.path.join(OUT, name + ".pred.csv.gz")) as f:
            for m, q in zip(margin, pred):
                f.write(fmt(m) + "," + fmt(q) + "\n")
        if name in CONTRIB_MODELS:
            contribs = booster.predict(xgb.DMatrix(x_test[:CONTRIB_ROWS], missing=np.nan), pred_contribs=True, approx_contribs=True)
            with gz_text(os.path.join(OUT, name + ".contribs.csv.gz")) as f:
                for row in contribs:
                    f.write(",".join(fmt(v) for v in row) + "\n")
        manifest["models"][name] = dict(params=p, rounds=rounds, target=target)

    write_v2_form(os.path.join(OUT, "logistic_100x6.json.gz"), os.path.join(OUT, "logistic_100x6.v2form.json.gz"))

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""scikit-learn reference rate for the learning benchmarks (perf/results/learning.md).

Rebuilds exactly the rows of perf/LowLatency.Benchmarks/LearningBenchData.cs (splitmix64, seed 42):
16 dense features in [-1, 1) and 4 sparse keys hashed into 2^18 one-hot columns with the same hash
as LowLatency.Models.Linear.FeatureHasher, then times SGDClassifier(loss="log_loss").partial_fit
  * one row per call (what an online learner does), and
  * 1024 rows per call (sklearn's favourable case),
reporting rows per second. Run with Debian's python3-sklearn:
    /usr/bin/python3 perf/learning/sklearn_partial_fit.py
"""
import math
import time

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import SGDClassifier

ROWS, DENSE, KEYS, BITS = 65536, 16, 4, 18
M64 = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


def uniform(state):
    state, v = splitmix64(state)
    return state, (v >> 11) * (1.0 / (1 << 53))


def slot(key):
    # LowLatency.Models.Linear.FeatureHasher.Slot: MurmurHash3 finaliser, top BITS bits.
    h = key
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & M64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & M64
    h ^= h >> 33
    return h >> (64 - BITS)


def data():
    state = 42
    x = np.zeros((ROWS, DENSE), dtype=np.float32)
    cols = np.zeros((ROWS, KEYS), dtype=np.int64)
    y = np.zeros(ROWS, dtype=np.int64)
    for r in range(ROWS):
        for j in range(DENSE):
            state, u = uniform(state)
            x[r, j] = np.float32(u * 2 - 1)
        for k in range(KEYS):
            state, v = splitmix64(state)
            cols[r, k] = DENSE + slot(((k << 56) ^ (v % 1000)) & M64)
        m = 2 * float(x[r, 0]) - float(x[r, 1]) + 0.5 * float(x[r, 2]) - 3
        state, u = uniform(state)
        y[r] = 1 if u < 1 / (1 + math.exp(-m)) else 0
    indptr = np.arange(0, ROWS * (DENSE + KEYS) + 1, DENSE + KEYS)
    indices = np.hstack([np.tile(np.arange(DENSE), (ROWS, 1)), cols]).ravel()
    values = np.hstack([x, np.ones((ROWS, KEYS), dtype=np.float32)]).ravel()
    matrix = sp.csr_matrix((values, indices, indptr), shape=(ROWS, DENSE + (1 << BITS)))
    matrix.sum_duplicates()
    return matrix, y


def rate(matrix, y, batch, rows):
    clf = SGDClassifier(loss="log_loss", alpha=1e-4)
    clf.partial_fit(matrix[:batch], y[:batch], classes=[0, 1])  # warm-up call allocates the coefficients
    start = time.perf_counter()
    done = 0
    for lo in range(batch, batch + rows, batch):
        clf.partial_fit(matrix[lo:lo + batch], y[lo:lo + batch])
        done += batch
    return done / (time.perf_counter() - start)


def main():
    matrix, y = data()
    print(f"rows={ROWS} dense={DENSE} keys={KEYS} hash_bits={BITS} positives={y.mean():.4f}")
    print(f"partial_fit, 1 row per call:     {rate(matrix, y, 1, 20000):>12,.0f} rows/s")
    print(f"partial_fit, 1024 rows per call: {rate(matrix, y, 1024, 63488):>12,.0f} rows/s")


if __name__ == "__main__":
    main()

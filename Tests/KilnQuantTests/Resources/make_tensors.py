"""Writes the small .npz files the tensor source tests read.

Run by hand from the repository root with the oracle venv (numpy):
    .venv/bin/python Tests/KilnQuantTests/Resources/make_tensors.py
Both files hold "image" = arange(6) as float32 [1, 2, 3] and "scale" = [2] as int64, one written
with np.savez (stored entries), one with np.savez_compressed (deflated entries).
"""

import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
arrays = {"image": np.arange(6, dtype=np.float32).reshape(1, 2, 3), "scale": np.array([2], dtype=np.int64)}
np.savez(os.path.join(HERE, "stored.npz"), **arrays)
np.savez_compressed(os.path.join(HERE, "compressed.npz"), **arrays)

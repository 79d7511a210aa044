"""The same training twice, in fresh processes, gives identical weights and predictions."""

import subprocess
import sys

SCRIPT = """
import hashlib
import numpy as np
import torch
from usvlib.models.cnn import CallCNN
from usvlib.schedule import Schedule, Stage
from usvlib.train import fit_network, predict_scores

rng = np.random.default_rng(0)
x = rng.normal(size=(96, 2, 48, 32)).astype(np.float32)
y = (x[:, 0, :16].mean(axis=(1, 2)) > 0).astype(int)
torch.manual_seed(0)
model = CallCNN()
fit_network(model, x[:64], y[:64], Schedule(stages=(Stage(2, 3e-3, 0.2),), batch_size=16), val=(x[64:80], y[64:80]), seed=3, images=False)
scores = predict_scores(model, x[80:], n_classes=2)
weights = torch.cat([p.detach().reshape(-1) for p in model.parameters()]).numpy()
print(hashlib.sha256(weights.tobytes() + scores.astype(np.float32).tobytes()).hexdigest())
"""


def _run() -> str:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300, check=True)
    return done.stdout.strip().splitlines()[-1]


def test_a_training_rerun_in_a_fresh_process_is_identical():
    first, second = _run(), _run()
    assert len(first) == 64 and first == second

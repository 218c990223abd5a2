"""Batch scoring in the style of Azure ML's ParallelRunStep samples (runs unchanged there)."""
import argparse
import json
import os

from azureml.core.model import Model
from azureml_user.parallel_run import EntryScript

weights = None
bias = 0.0
options = None


def init():
    global weights, bias, options
    parser = argparse.ArgumentParser()
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--label-style", default="short")
    parser.add_argument("--model")
    options, _ = parser.parse_known_args()

    logger = EntryScript().logger
    model_dir = Model.get_model_path("Model")
    with open(os.path.join(model_dir, "model.json")) as f:
        model = json.load(f)
    weights, bias = model["weights"], model["bias"]
    logger.info("loaded model from %s with %d weights", model_dir, len(weights))


def run(mini_batch):
    results = []
    for path in mini_batch:
        with open(path) as f:
            values = [float(v) for v in f.read().split(",")]
        score = sum(w * v for w, v in zip(weights, values)) + bias
        label = "positive" if score >= options.threshold else "negative"
        if options.label_style == "short":
            label = label[:3]
        results.append(f"{os.path.basename(path)}: {label} {score:.3f}")
    return results

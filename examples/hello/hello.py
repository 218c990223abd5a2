"""A minimal entry script in the shape Azure ML's ParallelRunStep expected."""
import argparse
import os

args = None


def init():
    global args
    parser = argparse.ArgumentParser()
    parser.add_argument("--greeting", default="hello")
    parser.add_argument("--output", required=True)
    args, _ = parser.parse_known_args()
    os.makedirs(args.output, exist_ok=True)


def run(mini_batch):
    results = []
    for path in mini_batch:
        with open(path, "rb") as f:
            data = f.read()
        name = os.path.basename(path)
        lines = data.count(b"\n")
        # Written idempotently: a mini-batch that runs again overwrites the same file.
        with open(os.path.join(args.output, name + ".count"), "w") as out:
            out.write(f"{args.greeting} {name}: {lines} lines, {len(data)} bytes\n")
        results.append(name)
    return results

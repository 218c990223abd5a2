"""Counts words per file and returns one dict per file: minibatch writes them as CSV rows."""
import argparse
import collections
import logging
import os

logger = logging.getLogger(__name__)
min_length = 1


def init():
    global min_length
    parser = argparse.ArgumentParser()
    parser.add_argument("--min-length", type=int, default=1)
    args, _ = parser.parse_known_args()
    min_length = args.min_length
    logger.info("counting words of at least %d letters", min_length)


def run(mini_batch):
    rows = []
    for path in mini_batch:
        with open(path, encoding="utf-8") as f:
            words = [w for w in f.read().split() if len(w) >= min_length]
        top, top_count = collections.Counter(words).most_common(1)[0] if words else ("", 0)
        rows.append({"file": os.path.basename(path), "words": len(words), "top_word": top, "top_count": top_count})
    return rows

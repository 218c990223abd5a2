"""Runs a command and reports its wall time and resource usage as JSON (bench/run.mjs).

    python measure.py OUT.json CMD [ARGS...]

The command's stdout and stderr are inherited. OUT.json gets wall seconds (measured here, so the
wrapper's own start-up is not counted), the exit code, and getrusage(RUSAGE_CHILDREN): user and
system CPU of the command and every descendant it waited for (node + its Python workers, or the
Pool's parent + its children), and the largest maxrss among them.
"""
import json
import resource
import subprocess
import sys
import time

out, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
rc = subprocess.call(cmd)
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(out, 'w') as f:
    json.dump({'wall': wall, 'rc': rc, 'user': ru.ru_utime, 'sys': ru.ru_stime, 'maxrssKb': ru.ru_maxrss}, f)

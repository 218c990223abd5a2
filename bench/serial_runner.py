"""Serial CPU time of a module's work in one process (bench/run.mjs, the efficiency rows).

    python serial_runner.py ENTRY.py DATA_DIR OUT.json

init() once, then run([file]) for every file; reports CPU (process_time) and wall seconds of the
run() calls only.
"""
import json
import sys
import time

from pool_runner import list_files, load


def main():
    entry_path, data_dir, out = sys.argv[1:]
    entry = load(entry_path)
    files = list_files(data_dir)
    entry.init()
    c0, w0 = time.process_time(), time.perf_counter()
    for f in files:
        entry.run([f])
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    with open(out, 'w') as f:
        json.dump({'items': len(files), 'cpuSeconds': cpu, 'wallSeconds': wall}, f)


if __name__ == '__main__':
    main()

"""The peer of `minibatch run` in bench/run.mjs: multiprocessing.Pool over the same files.

    python pool_runner.py ENTRY.py DATA_DIR PROCESSES CHUNK OUT.json

Imports the same entry script, lists DATA_DIR the way minibatch does (every regular file, sorted by
relative path), and runs Pool(PROCESSES, initializer=init).imap_unordered(run, [[f] per file],
chunksize=1) when CHUNK is 1 (one file per task, as minibatch's miniBatchSize 1), else tasks of
CHUNK files. Writes the item count, the result count, the start method and the interpreter to
OUT.json; its time and CPU are measured from outside (measure.py), as minibatch's are.
"""
import importlib.util
import json
import multiprocessing
import os
import sys


def list_files(root):
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in filenames:
            files.append(os.path.join(dirpath, name))
    # minibatch sorts by relative path in byte order with directories compared as `name/`.
    files.sort(key=lambda p: os.path.relpath(p, root).encode())
    return files


def load(entry_path):
    sys.path.insert(0, os.path.dirname(entry_path))
    name = os.path.splitext(os.path.basename(entry_path))[0]
    spec = importlib.util.spec_from_file_location(name, entry_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # so the Pool can pickle module.run by reference
    spec.loader.exec_module(module)
    return module


def main():
    entry_path, data_dir, processes, chunk, out = sys.argv[1:]
    processes, chunk = int(processes), int(chunk)
    entry = load(entry_path)
    files = list_files(data_dir)
    tasks = [files[i:i + chunk] for i in range(0, len(files), chunk)]
    results = 0
    with multiprocessing.Pool(processes, initializer=entry.init) as pool:
        for r in pool.imap_unordered(entry.run, tasks, chunksize=1):
            results += len(r)
    with open(out, 'w') as f:
        json.dump({'items': len(files), 'results': results, 'startMethod': multiprocessing.get_start_method(),
                   'executable': sys.executable}, f)


if __name__ == '__main__':
    main()

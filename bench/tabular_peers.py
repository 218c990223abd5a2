"""bench/tabular.mjs's peers, on the same CSV and interpreter as minibatch (issue 15's comparisons).

    python tabular_peers.py read     CSV                  single-process pandas.read_csv of the whole file
    python tabular_peers.py dask     CSV PROCS BLOCK      dask read_csv(blocksize) + map_partitions, processes scheduler
    python tabular_peers.py pool     CSV PROCS ROWS       read_csv(chunksize=ROWS) feeding a multiprocessing.Pool
    python tabular_peers.py dask_csv CSV PROCS BLOCK OUT  one prediction per row, written with to_csv(single_file=True)

Each prints the rows it handled; the caller times the whole process.
"""
import multiprocessing
import sys


def score(frame):
    """The trivial run(): one value per row."""
    return frame['price'].tolist()


def count(frame):
    return len(score(frame))


def predict(frame):
    return frame.assign(prediction=frame['price'] * 2)[['id', 'prediction']]


def main(argv):
    import pandas as pd
    mode, csv = argv[0], argv[1]
    if mode == 'read':
        print(len(pd.read_csv(csv)))
        return
    procs = int(argv[2])
    if mode == 'pool':
        with multiprocessing.Pool(procs) as pool:
            print(sum(pool.imap(count, pd.read_csv(csv, chunksize=int(argv[3])))))
        return
    import dask
    import dask.dataframe as dd
    frame = dd.read_csv(csv, blocksize=argv[3])
    with dask.config.set(scheduler='processes', num_workers=procs):
        if mode == 'dask':
            print(sum(frame.map_partitions(count, meta=(None, 'int64')).compute()))
        else:
            frame.map_partitions(predict, meta={'id': 'int64', 'prediction': 'float64'}).to_csv(argv[4], single_file=True, index=False)
            print('written')


if __name__ == '__main__':
    main(sys.argv[1:])

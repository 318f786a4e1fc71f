#!/usr/bin/env python3
"""Times pandas.read_csv on a CSV file: median of N runs. Prints one JSON line.

Usage: /usr/bin/python3 bench/load_pandas.py FILE [RUNS]
"""
import json
import statistics
import sys
import time

import pandas as pd


def main() -> None:
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    times = []
    shape = None
    for _ in range(runs):
        start = time.perf_counter()
        df = pd.read_csv(path)
        times.append(time.perf_counter() - start)
        shape = df.shape
        del df
    print(json.dumps({"pandas": pd.__version__, "runs_s": times, "median_s": statistics.median(times), "rows": shape[0], "cols": shape[1]}))


if __name__ == "__main__":
    main()

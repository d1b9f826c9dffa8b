"""Timing shared by scripts/bench.sh's sections: the median wall time of a migsafe check."""
import statistics
import subprocess
import time


def median_check_seconds(migsafe, dialect, path, runs):
    """Median wall time (s) of `migsafe check --dialect DIALECT PATH` over runs runs."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([migsafe, "check", "--dialect", dialect, "--fail-on", "never", path],
                       stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)

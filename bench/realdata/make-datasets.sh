#!/bin/sh
# Builds the realdata bench sets into bench/realdata/data (gitignored). Needs Rscript with the
# Debian packages r-cran-modeldata and r-cran-mlbench, and /usr/bin/python3 with scikit-learn.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="$HERE/data"
mkdir -p "$OUT"
Rscript "$HERE/make-datasets.R" "$OUT"
/usr/bin/python3 "$HERE/make-datasets.py" "$OUT"

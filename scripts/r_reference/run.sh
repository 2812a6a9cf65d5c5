#!/usr/bin/env bash
# Regenerate every R reference fixture under tests/fixtures/r_reference/.
# Needs R with fpc, cluster, ConsensusClusterPlus, NMF, jsonlite (Debian:
#   apt-get install r-base-core r-cran-fpc r-cran-cluster r-bioc-consensusclusterplus r-cran-nmf)
# and numpy for the inputs. CI does not run this: the outputs are committed.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
[ -x "$PY" ] || PY=python3
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
"$PY" scripts/r_reference/make_inputs.py
for s in exact_statistics gap resampling consensus nmf; do
  echo "== $s.R"
  Rscript --vanilla "scripts/r_reference/$s.R"
done
rm -f Rplots.pdf
du -ch tests/fixtures/r_reference | tail -1

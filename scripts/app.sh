#!/usr/bin/env bash
# Set up (first time) and start the app on the bundled sample data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
exec .venv/bin/streamlit run app.py "$@"

#!/bin/bash
# Submits the sweep array and the merge step, which runs once every array task
# has succeeded (afterok). Run from the repository root; ZOO_OUT, ZOO_REPO and
# ZOO_UCF101_ROOT are passed through to both jobs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sweep=$(sbatch --parsable --export=ALL "$here/sweep.sbatch")
sbatch --parsable --export=ALL --dependency="afterok:${sweep%%;*}" "$here/merge.sbatch"
echo "submitted sweep ${sweep%%;*} and its merge step; results in ${ZOO_OUT:-$PWD/sweep-out}"

#!/usr/bin/env bash
# One allocmark matrix spread over a Slurm cluster: an array job runs one shard
# per task (allocmark run --shard I/N), then a job that depends on the whole
# array (--dependency=afterok) merges the shards into one run.
#
#   docker/fleet/slurm.sh SHARDS RESULTS_DIR [allocmark run options...]
#   docker/fleet/slurm.sh 16 /shared/allocmark --profile full --threads 1,4
#
# RESULTS_DIR must be visible at the same path on every node (a shared file
# system). Shards go to RESULTS_DIR/RUN_ID.shards/shard-I, the merged run to
# RESULTS_DIR/RUN_ID. A shard holds every allocator and repetition of its
# configurations, so each comparison is measured on one machine.
# Environment, read on the submit host:
#   ALLOCMARK    command that runs allocmark on a node (default: this checkout's
#                build/allocmark). In the image, with the results at the same path:
#                ALLOCMARK="docker run --rm -v /shared/allocmark:/shared/allocmark allocmark:local"
#   SBATCH_ARGS  more sbatch options for both jobs, e.g. "-p bench -t 4:00:00"
#   RUN_ID       name of the merged run (default: the time)
# The same file is the batch script of both jobs (ALLOCMARK_FLEET_STEP says which).
set -euo pipefail
if [ -z "${ALLOCMARK_FLEET_STEP:-}" ]; then
  [ $# -ge 2 ] || { echo "usage: $0 SHARDS RESULTS_DIR [allocmark run options...]" >&2; exit 2; }
  shards=$1 results=$(realpath -m "$2") && shift 2
  run_id=${RUN_ID:-$(date +%Y%m%d-%H%M%S)-slurm}
  self=$(realpath "$0")
  export ALLOCMARK=${ALLOCMARK:-$(realpath "$(dirname "$self")/../../build/allocmark")}
  mkdir -p "$results/$run_id.shards"
  # --exclusive: nothing else runs on a node while it measures.
  # shellcheck disable=SC2086
  array=$(sbatch --parsable --exclusive ${SBATCH_ARGS:-} --job-name=allocmark-shard --array=1-"$shards" \
    --output="$results/$run_id.shards/slurm-%a.out" --export=ALL,ALLOCMARK_FLEET_STEP=shard \
    "$self" "$shards" "$results" "$run_id" "$@")
  # shellcheck disable=SC2086
  merge=$(sbatch --parsable ${SBATCH_ARGS:-} --job-name=allocmark-merge --dependency=afterok:"${array%%;*}" \
    --output="$results/$run_id.shards/slurm-merge.out" --export=ALL,ALLOCMARK_FLEET_STEP=merge \
    "$self" "$shards" "$results" "$run_id")
  echo "array job ${array%%;*} ($shards shards), merge job ${merge%%;*}: $results/$run_id"
  exit 0
fi
shards=$1 results=$2 run_id=$3 && shift 3
# Exit status 1 means some cell failed: it is recorded in the run, and the merge goes on.
case "$ALLOCMARK_FLEET_STEP" in
  shard)
    i=$SLURM_ARRAY_TASK_ID
    $ALLOCMARK run --shard "$i/$shards" --out "$results/$run_id.shards" --run-id "shard-$i" "$@" || [ $? -eq 1 ] ;;
  merge)
    dirs=()
    for i in $(seq "$shards"); do dirs+=("$results/$run_id.shards/shard-$i"); done
    $ALLOCMARK merge --out "$results/$run_id" "${dirs[@]}" || [ $? -eq 1 ] ;;
esac

#!/usr/bin/env bash
# Converts IN to the OME-Zarr OUT in N parts on a Slurm cluster: a job array of N tasks (convert.sbatch, part
# i/N each), then one finalize job (finalize.sbatch) that starts only when every task succeeded.
#
# Usage: submit.sh IN OUT N [bfio convert flags...]
#   submit.sh big.ome.tif s3://lab/big.ome.zarr 16 --pyramid 4 --tile-size 512
# Env:
#   BFIO               the bfio command on the compute nodes (default: bfio)
#   BFIO_SBATCH_ARGS   extra sbatch options for both jobs, e.g. "--partition=batch --account=lab --time=1:00:00"
#   BFIO_SLURM_WAIT=1  block until the finalize job ends and exit with its status (non-zero when a part failed:
#                      the finalize job is then cancelled)
#   AWS_*              credentials / endpoint for s3:// paths (passed to the jobs with the rest of the env)
# Prints the two job ids. A failed part: re-run just that index, then finalize again:
#   sbatch --array=7 --export=ALL,BFIO_PARTS=16 convert.sbatch IN OUT [flags]; sbatch finalize.sbatch OUT
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if (($# < 3)) || [[ ! "$3" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: submit.sh IN OUT N [bfio convert flags...]   (N: the number of parts, >= 1)" >&2
  exit 2
fi
in="$1" out="$2" parts="$3"
shift 3
read -r -a extra <<<"${BFIO_SBATCH_ARGS:-}"
wait_flag=()
[[ "${BFIO_SLURM_WAIT:-}" == 1 ]] && wait_flag=(--wait)

# --parsable prints "jobid" or "jobid;cluster".
array_id="$(sbatch --parsable "${extra[@]}" --array="0-$((parts - 1))" --export="ALL,BFIO_PARTS=$parts" \
  "$here/convert.sbatch" "$in" "$out" "$@")"
array_id="${array_id%%;*}"
echo "convert: job array $array_id, parts 0..$((parts - 1)) of $parts"

# afterok on an array waits for all of its tasks; a failed task makes the dependency unsatisfiable, and
# --kill-on-invalid-dep cancels the finalize job instead of leaving it pending forever.
failed() {
  echo "finalize did not succeed ($1): a convert part failed (see bfio-convert-${array_id}_*.out), or finalize did" >&2
  exit 1
}
finalize_id="$(sbatch --parsable "${wait_flag[@]}" "${extra[@]}" --dependency="afterok:$array_id" \
  --kill-on-invalid-dep=yes "$here/finalize.sbatch" "$out")" || failed "sbatch exited with $?"
finalize_id="${finalize_id%%;*}"
echo "finalize: job $finalize_id (after $array_id)"
if ((${#wait_flag[@]})); then
  # sbatch --wait exits 0 for a job cancelled before it ran: ask for the job's final state (while the
  # controller still remembers it: MinJobAge, 300 s by default).
  state="$(scontrol show job -o "$finalize_id" 2>/dev/null | grep -o 'JobState=[A-Z_]*' || true)"
  [[ -z "$state" || "$state" == JobState=COMPLETED ]] || failed "${state#JobState=}"
fi

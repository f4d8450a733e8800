#!/usr/bin/env bash
# The image's entrypoint. `run ...` (the default) measures into the volume at
# /results (the upstream allocators built into the image are allocmark's own:
# `--allocators all` or their names select them); any other first argument is
# an allocmark subcommand (list, merge) or, when it is not one, a command to
# run (bash, make report ...).
set -euo pipefail
[ $# -gt 0 ] || set -- run --profile quick
# Options first, as in `docker run IMAGE --profile smoke`: they belong to `run`.
[[ "$1" == -* ]] && set -- run "$@"
case "$1" in
  run)
    shift
    exec allocmark run --out /results "$@"
    ;;
  list | merge) exec allocmark "$@" ;;
  *) exec "$@" ;;
esac

#!/usr/bin/env bash
# The image's entrypoint. `run ...` (the default) measures into the volume at
# /results and adds every upstream allocator built into the image
# (/opt/allocators/allocators.txt: NAME=/path/lib.so lines) as --allocator
# NAME=...; any other first argument is an allocmark subcommand (list, merge)
# or, when it is not one, a command to run (bash, make report ...).
set -euo pipefail
[ $# -gt 0 ] || set -- run --profile quick
# Options first, as in `docker run IMAGE --profile smoke`: they belong to `run`.
[[ "$1" == -* ]] && set -- run "$@"
case "$1" in
  run)
    shift
    extra=()
    if [ -f /opt/allocators/allocators.txt ]; then
      while IFS= read -r line; do
        [ -n "$line" ] && extra+=(--allocator "$line")
      done </opt/allocators/allocators.txt
    fi
    exec allocmark run --out /results "${extra[@]}" "$@"
    ;;
  list | merge) exec allocmark "$@" ;;
  *) exec "$@" ;;
esac

#!/usr/bin/env bash
# Installs the Debian packages listed in scripts/debian-packages.txt that are
# missing, and the npm packages the workloads read; a no-op, in well under a
# second, when all are present.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mapfile -t wanted < <(grep -v '^\s*#' "$here/debian-packages.txt" | grep -v '^\s*$')
# Debian's nodejs needs Debian's npm package; NodeSource's nodejs brings npm.
command -v npm >/dev/null || wanted+=(npm)
missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "allocmark: missing Debian packages (${missing[*]}); run 'sudo make deps' to install them" >&2
    exit 1
  fi
  echo "allocmark: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The json workload's large real-world corpus, from the npm registry, pinned,
# into a git-ignored directory (workloads/json_corpus.cc reads it from there).
npm_dir="$here/../third_party/npm"
bcd_version=8.1.9
bcd_package="$npm_dir/node_modules/@mdn/browser-compat-data/package.json"
if ! grep -qs "\"version\": \"$bcd_version\"" "$bcd_package"; then
  echo "allocmark: installing @mdn/browser-compat-data@$bcd_version into third_party/npm" >&2
  mkdir -p "$npm_dir"
  # A registry that cannot be reached is not fatal: every other workload and
  # corpus works without it, and the json cells that read it fail with a
  # reason that names `make deps`.
  if ! log=$(npm install --prefix "$npm_dir" --no-audit --no-fund --ignore-scripts --no-save \
      --loglevel=error "@mdn/browser-compat-data@$bcd_version" 2>&1); then
    reason=$(printf '%s\n' "$log" | grep -m1 -E 'ERR! (code|request)|error' || true)
    echo "allocmark: warning: could not install @mdn/browser-compat-data from the npm registry" \
      "(${reason:-npm failed}); the json workload's MDN corpus is unavailable until 'make deps' succeeds" >&2
  fi
fi

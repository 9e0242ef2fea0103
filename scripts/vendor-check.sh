#!/usr/bin/env bash
# vendor/ is the published crates plus the patch series in vendor/patches/, and nothing else.
#
# For each vendored crate: download NAME-VERSION.crate from static.crates.io (cached in
# target/vendor-check/, git-ignored), check its sha256 against the registry index's checksum
# (pinned below: patched crates have no checksum line in Cargo.lock), unpack it, drop what
# cargo adds on publish, apply vendor/patches/NAME/*.patch in order (git apply: no fuzz), and
# compare the result with vendor/NAME (diff -r). Exits non-zero, naming the files, if they
# differ or a patch does not apply. Also checks that every hunk of every patch adds a line
# saying "ganzoo" (license texts excepted).
#
#   scripts/vendor-check.sh                       check every crate (the test command runs this)
#   scripts/vendor-check.sh --try NAME VERSION    apply NAME's series to another published
#                                                 version (checksum from the registry index)
#                                                 and say which patches apply and which conflict;
#                                                 the result stays in target/vendor-check/try/
#
# Not compared: vendor/NAME/README.md (ours: it replaces the published README and says what the
# series changes and why), and files cargo adds on publish (.cargo_vcs_info.json, Cargo.lock,
# Cargo.toml.orig; .cargo-ok when unpacked by cargo). burn-flex's upstream design docs
# (ACKNOWLEDGMENTS, ARCHITECTURE, BENCHMARKS, COMPARISON .md) are not carried in vendor/.
#
# To change a vendored crate: edit vendor/NAME, then regenerate the affected patch (or add one)
# so that this script passes again; vendor/patches/README.md says how.
set -euo pipefail
cd "$(dirname "$0")/.."

# name, version, sha256 of the .crate (= "cksum" in https://index.crates.io/<prefix>/<name>)
CRATES=(
  "burn-flex 0.22.1 7e05d08ef48d738fadf13f8689b634f8b396d5a8cbb27d0a87f61e163d241846"
  "burn-cubecl 0.22.1 8d00b95290d2a8de2529aea94c1106a96c7f433eb314da1bba133c068479e3ce"
  "gemm-common 0.19.0 88027625910cc9b1085aaaa1c4bc46bb3a36aad323452b33c25b5e4e7c8e2a3e"
  "gemm-f32 0.19.0 02e0b8c9da1fbec6e3e3ab2ce6bc259ef18eb5f6f0d3e4edf54b75f9fd41a81c"
)
PUBLISH_ONLY=(.cargo_vcs_info.json Cargo.lock Cargo.toml.orig .cargo-ok)
NOT_CARRIED_burn_flex=(ACKNOWLEDGMENTS.md ARCHITECTURE.md BENCHMARKS.md COMPARISON.md)

CACHE="${CARGO_TARGET_DIR:-target}/vendor-check"
mkdir -p "$CACHE/crates"
CACHE="$(cd "$CACHE" && pwd)"
# git apply must not take the work trees below for part of ganzoo's repository (it would apply
# the patch's paths relative to the repository's root and skip them)
export GIT_CEILING_DIRECTORIES="$CACHE"

# fetch NAME VERSION SHA256: the verified .crate's path on stdout
fetch() {
  local name=$1 version=$2 sha=$3 file="$CACHE/crates/$1-$2.crate"
  if [ ! -f "$file" ]; then
    curl -sSfL --retry 3 -o "$file.part" "https://static.crates.io/crates/$name/$name-$version.crate"
    mv "$file.part" "$file"
  fi
  if ! echo "$sha  $file" | sha256sum -c --quiet - >/dev/null 2>&1; then
    rm -f "$file"
    echo "vendor-check: $name-$version.crate does not have the registry's sha256 $sha (removed from the cache)" >&2
    return 1
  fi
  echo "$file"
}

# unpack NAME VERSION CRATE DIR: the published tree in DIR/NAME-VERSION, less what cargo adds
unpack() {
  local name=$1 version=$2 crate=$3 dir=$4 f
  rm -rf "${dir:?}/$name-$version"
  mkdir -p "$dir"
  tar xzf "$crate" -C "$dir"
  for f in "${PUBLISH_ONLY[@]}"; do rm -f "$dir/$name-$version/$f"; done
  local var="NOT_CARRIED_${name//-/_}[@]"
  for f in ${!var+"${!var}"}; do rm -f "$dir/$name-$version/$f"; done
}

# every hunk of the patches given adds a line that says "ganzoo" (license texts excepted)
markers() {
  awk '
    function close_hunk() {
      if (in_hunk && !marked && file !~ /(^|\/)LICENSE[^\/]*$/) { print FILENAME ": " file " " header; bad = 1 }
      in_hunk = 0
    }
    FNR == 1 { close_hunk() }
    /^diff --git / { close_hunk(); file = substr($4, 3); next }
    /^@@ / { close_hunk(); in_hunk = 1; marked = 0; header = $0; next }
    in_hunk && /^\+/ && /ganzoo/ { marked = 1 }
    END { close_hunk(); exit bad }
  ' "$@"
}

if [ "${1:-}" = "--try" ]; then
  [ $# -eq 3 ] || { echo "usage: $0 --try NAME VERSION" >&2; exit 2; }
  name=$2 version=$3
  case ${#name} in # the sparse index's layout
    1 | 2) prefix=${#name} ;;
    3) prefix=3/${name:0:1} ;;
    *) prefix=${name:0:2}/${name:2:2} ;;
  esac
  sha=$(curl -sSfL "https://index.crates.io/$prefix/$name" |
    python3 -c 'import json,sys; print(next((d["cksum"] for d in map(json.loads, sys.stdin) if d["vers"] == sys.argv[1]), ""))' "$version")
  [ -n "$sha" ] || { echo "vendor-check: $name $version is not in the registry index" >&2; exit 1; }
  crate=$(fetch "$name" "$version" "$sha")
  unpack "$name" "$version" "$crate" "$CACHE/try"
  tree="$CACHE/try/$name-$version"
  echo "$name $version (sha256 $sha, from the index): vendor/patches/$name/ applied in order, each to the result of those before"
  for p in vendor/patches/"$name"/*.patch; do
    p=$(cd "$(dirname "$p")" && pwd)/$(basename "$p")
    if (cd "$tree" && git apply "$p" 2>/dev/null); then
      echo "  applies     $(basename "$p")"
    else
      out=$(cd "$tree" && git apply --reject "$p" 2>&1 || true)
      rejected=$(printf '%s\n' "$out" | grep -c '^Rejected hunk' || true)
      total=$(grep -c '^@@ ' "$p")
      files=$(printf '%s\n' "$out" | sed -n 's/^Applying patch \(.*\) with [1-9][0-9]* reject.*/\1/p; s/^error: \(.*\): No such file.*/\1 (missing)/p; s/^error: \(.*\): already exists.*/\1 (exists)/p' | sort -u | tr '\n' ' ')
      echo "  CONFLICTS   $(basename "$p"): $rejected of $total hunks rejected; $files"
    fi
  done
  echo "rejected hunks: $tree/**/*.rej"
  exit 0
fi

start=$SECONDS
failed=0
for entry in "${CRATES[@]}"; do
  read -r name version sha <<<"$entry"
  crate=$(fetch "$name" "$version" "$sha")
  unpack "$name" "$version" "$crate" "$CACHE/work"
  tree="$CACHE/work/$name-$version"
  for p in vendor/patches/"$name"/*.patch; do
    [ -e "$p" ] || continue
    p=$(cd "$(dirname "$p")" && pwd)/$(basename "$p")
    if ! (cd "$tree" && git apply "$p"); then
      echo "vendor-check: $(basename "$p") does not apply to $name $version" >&2
      failed=1
      continue 2
    fi
  done
  # vendor/NAME less our README, beside the patched tree
  ours="$CACHE/work/vendor-$name"
  rm -rf "$ours"
  cp -R "vendor/$name" "$ours"
  rm -f "$ours/README.md" "$tree/README.md"
  if ! diff -r "$tree" "$ours" >"$CACHE/work/$name.diff"; then
    echo "vendor-check: vendor/$name differs from $name $version + vendor/patches/$name/ in:" >&2
    sed -n -e 's|^diff -r '"$tree"'/\([^ ]*\) .*|  vendor/'"$name"'/\1|p' \
      -e 's|^Binary files '"$tree"'/\([^ ]*\) .*|  vendor/'"$name"'/\1|p' \
      -e 's|^Only in '"$tree"'/*\(.*\): \(.*\)|  missing from vendor/'"$name"': \1/\2|p' \
      -e 's|^Only in '"$ours"'/*\(.*\): \(.*\)|  only in vendor/'"$name"': \1/\2|p' "$CACHE/work/$name.diff" |
      sed 's|: /|: |' >&2
    echo "  (the whole diff, patched published crate against vendor/: $CACHE/work/$name.diff)" >&2
    failed=1
  fi
done

if ! markers vendor/patches/*/*.patch >"$CACHE/work/unmarked" ; then
  echo "vendor-check: hunks without a \"ganzoo\" marker:" >&2
  sed 's/^/  /' "$CACHE/work/unmarked" >&2
  failed=1
fi

if [ $failed -ne 0 ]; then
  exit 1
fi
echo "vendor-check: vendor/ = the published crates + vendor/patches/ ($((SECONDS - start)) s)"

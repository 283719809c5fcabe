#!/usr/bin/env bash
# `make lint`'s check that what the tracked files name exists: every
# `make TARGET` is a target of the Makefile, every `README, "Section"` (or
# `docs/x.md, "Section"`) is a heading of that file, and every path of this
# repository named in code or docs (benches/…, hosts/…, scripts/…) is there.
# Third-party paths (another project's src/…) and build outputs are not
# checked: they are not this tree's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t files < <(git ls-files -- ':!*.json' ':!*.svg' ':!*.png' ':!*.lock' ':!package-lock.json' ':!crates/*/tests/*' ':!scripts/check-refs.sh')
bad=0
targets=$(grep -oE '^[a-z][a-z-]*:' Makefile | tr -d :)
while IFS=: read -r file line target; do
  grep -qx "$target" <<<"$targets" || { echo "$file:$line: no make target '$target'"; bad=1; }
done < <(grep -onE '\bmake [a-z][a-z-]+' "${files[@]}" | sed -E 's/:make /:/' | grep -vE ':(the|a|an|it|its|sure|them|this|that|one|every|each|up|do|no|room)$')
while IFS= read -r hit; do
  where=${hit%%:*}; rest=${hit#*:}; line=${rest%%:*}; ref=${rest#*:}
  doc=$(sed -E 's/^([^,]+), ".*/\1/' <<<"$ref"); section=$(sed -E 's/^[^"]*"([^"]+)".*/\1/' <<<"$ref")
  [[ $doc == README ]] && doc=README.md
  grep -qE "^#+ $section\$" "$doc" 2>/dev/null || { echo "$where:$line: no section \"$section\" in $doc"; bad=1; }
done < <(grep -onE '(README|docs/[a-z-]+\.md), "[^"]+"' "${files[@]}")
while IFS=: read -r file line path; do
  # A crate's files name paths inside the crate; a binary is named without .rs.
  crate=$(grep -oE '^crates/[^/]+/' <<<"$file" || true)
  [[ -e $path || -e $crate$path || -e $path.rs ]] || { echo "$file:$line: no file $path"; bad=1; }
done < <(grep -onE '\b(benches|tests|scripts|hosts|docs|python|service-worker|examples)/[A-Za-z0-9_./-]*[A-Za-z0-9_]' "${files[@]}")
exit $bad

#!/usr/bin/env bash
# Vendors the PocketBase JS SDK into the web client, so pb_public/ needs no
# build step and no CDN. The version is pinned in e2e/package.json (and its
# package-lock.json); to upgrade, change it there, run `npm install` in e2e/,
# then run this script and commit pb_public/vendor/.
#
# Usage: e2e/vendor-sdk.sh   (from anywhere; needs node and npm)
set -euo pipefail
cd "$(dirname "$0")"

npm ci --no-audit --no-fund

src=node_modules/pocketbase
dest=../pb_public/vendor
mkdir -p "$dest"
version=$(node -p "require('./$src/package.json').version")

# The ES module build, without its source-map comment (the map is not
# vendored, and a dangling reference would make browsers ask for it).
{
  echo "// PocketBase JS SDK v$version (npm: pocketbase@$version), MIT licence: see pocketbase.LICENSE.md."
  echo "// Vendored by e2e/vendor-sdk.sh; do not edit."
  sed '/^\/\/# sourceMappingURL=/d' "$src/dist/pocketbase.es.mjs"
} > "$dest/pocketbase.es.mjs"
cp "$src/LICENSE.md" "$dest/pocketbase.LICENSE.md"
# Its type declarations, beside it: TypeScript resolves an import of
# pocketbase.es.mjs to pocketbase.es.d.mts, so the web client's JSDoc check
# (pb_public/jsconfig.json) types the SDK without reading the bundle.
cp "$src/dist/pocketbase.es.d.mts" "$dest/pocketbase.es.d.mts"

echo "vendored pocketbase@$version into pb_public/vendor/"

#!/usr/bin/env bash
# Vendors the web client's Markdown renderer (marked) and HTML sanitiser
# (DOMPurify) into pb_public/vendor/, like e2e/vendor-sdk.sh does for the
# SDK: ES module builds, no build step, no CDN. Versions are pinned in
# e2e/package.json (and its package-lock.json); to upgrade, change them
# there, run `npm install` in e2e/, run this script, commit pb_public/vendor/.
# Each build's type declarations go beside it as NAME.es.d.mts, where
# TypeScript looks for them (the web client's JSDoc check, pb_public/jsconfig.json).
#
# Usage: e2e/vendor-libs.sh   (from anywhere; needs node and npm)
set -euo pipefail
cd "$(dirname "$0")"

npm ci --no-audit --no-fund

dest=../pb_public/vendor
mkdir -p "$dest"

# vendor NAME SOURCE LICENCE-NAME: copies one ES module build without its
# source-map comment (the map is not vendored, and a dangling reference
# would make browsers ask for it).
vendor() {
  local name=$1 src=$2 licence=$3
  local version
  version=$(node -p "require('./node_modules/$name/package.json').version")
  {
    echo "// $name v$version (npm: $name@$version), $licence: see $name.LICENSE."
    echo "// Vendored by e2e/vendor-libs.sh; do not edit."
    sed '/^\/\/# sourceMappingURL=/d' "node_modules/$name/$src"
  } > "$dest/$name.es.mjs"
  echo "vendored $name@$version into pb_public/vendor/"
}

vendor marked lib/marked.esm.js "MIT licence"
cp node_modules/marked/LICENSE "$dest/marked.LICENSE"
cp node_modules/marked/lib/marked.d.ts "$dest/marked.es.d.mts"

vendor dompurify dist/purify.es.mjs "Apache-2.0 or MPL-2.0 licence"
cp node_modules/dompurify/LICENSE "$dest/dompurify.LICENSE"  # used under Apache-2.0 (its other option is MPL-2.0)
cp node_modules/dompurify/dist/purify.es.d.mts "$dest/dompurify.es.d.mts"

# centrifuge-js, the client of the optional Centrifugo realtime tier
# (pb_public/js/live.js); its ES build is self-contained. Its declarations
# are several files: they go in a folder, re-exported by centrifuge.es.d.mts.
vendor centrifuge build/index.mjs "MIT licence"
cp node_modules/centrifuge/LICENSE "$dest/centrifuge.LICENSE"
rm -rf "$dest/centrifuge.types" && mkdir -p "$dest/centrifuge.types"
cp node_modules/centrifuge/build/*.d.ts "$dest/centrifuge.types/"
echo "export * from './centrifuge.types/index';" > "$dest/centrifuge.es.d.mts"

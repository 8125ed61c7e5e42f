#!/usr/bin/env bash
# Vendor the Sentry browser SDK into erp/web/static/vendor/sentry/ (no CDN at run time).
#
# @sentry/browser ships no <script>-tag bundle in its npm package (those exist only on
# Sentry's CDN), so this builds one: esbuild bundles ops/vendor/sentry-browser/entry.js
# (error tracking only, started from the script tag's data attributes) as window.Sentry.
# Versions are pinned in sentry-browser/package.json and package-lock.json; to upgrade,
# change package.json, run `npm install --package-lock-only --ignore-scripts` there, then
# this script, and commit the results.
#
#   ops/vendor/sentry_browser.sh           rebuild the vendored files
#   ops/vendor/sentry_browser.sh --check   rebuild elsewhere; exit 1 if the committed differ
#
# Integrity: the @sentry/browser tarball (npm pack) must match both the registry's
# dist.integrity and the lockfile's; `npm ci` checks every other package against the lock.
# Needs node and npm (not needed to run or test the ERP). Scripts of packages never run.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SPEC="$HERE/sentry-browser"
DEST="$ROOT/erp/web/static/vendor/sentry"
CHECK=0
case "${1:-}" in
  --check) CHECK=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export npm_config_cache="$WORK/npm-cache" npm_config_update_notifier=false npm_config_fund=false

lock_field() {  # lock_field <package> <field>
  node -e 'const lock = require(process.argv[1]);
           const entry = lock.packages["node_modules/" + process.argv[2]];
           if (!entry) { process.exit(1); }
           process.stdout.write(String(entry[process.argv[3]]));' \
    "$SPEC/package-lock.json" "$1" "$2"
}

VERSION="$(node -p 'require(process.argv[1]).dependencies["@sentry/browser"]' "$SPEC/package.json")"
ESBUILD="$(node -p 'require(process.argv[1]).devDependencies.esbuild' "$SPEC/package.json")"
[[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "pin an exact version, not $VERSION" >&2; exit 1; }
[[ "$(lock_field @sentry/browser version)" == "$VERSION" ]] \
  || { echo "package-lock.json is stale: run npm install --package-lock-only" >&2; exit 1; }

# 1. The SDK's tarball, checked against the registry and the lockfile.
TARBALL="$WORK/$(cd "$WORK" && npm pack --silent "@sentry/browser@$VERSION")"
ACTUAL="sha512-$(openssl dgst -sha512 -binary "$TARBALL" | base64 -w0)"
REGISTRY="$(npm view "@sentry/browser@$VERSION" dist.integrity)"
LOCKED="$(lock_field @sentry/browser integrity)"
if [[ "$ACTUAL" != "$REGISTRY" || "$ACTUAL" != "$LOCKED" ]]; then
  echo "integrity mismatch for @sentry/browser@$VERSION:" >&2
  echo "  tarball  $ACTUAL" >&2
  echo "  registry $REGISTRY" >&2
  echo "  lockfile $LOCKED" >&2
  exit 1
fi
mkdir "$WORK/pkg"
tar -xzf "$TARBALL" -C "$WORK/pkg" package/LICENSE package/package.json

# 2. Everything the bundle is built from, exactly as locked (npm ci verifies each tarball).
mkdir "$WORK/build"
cp "$SPEC/package.json" "$SPEC/package-lock.json" "$SPEC/entry.js" "$WORK/build/"
(cd "$WORK/build" && npm ci --ignore-scripts --no-audit --silent)
[[ "$(node -p 'require(process.argv[1]).version' "$WORK/build/node_modules/@sentry/browser/package.json")" == "$VERSION" ]]

# 3. The bundle: an IIFE defining window.Sentry; debug logging compiled out, as on the CDN.
OUT="$WORK/out"
mkdir "$OUT"
(cd "$WORK/build" && node_modules/.bin/esbuild entry.js --bundle --format=iife \
  --global-name=Sentry --minify --target=es2020 --legal-comments=none \
  --define:__SENTRY_DEBUG__=false --log-level=warning --outfile="$OUT/sentry.min.js")
cp "$WORK/pkg/package/LICENSE" "$OUT/LICENSE"
SHA256="$(sha256sum "$OUT/sentry.min.js" | cut -d' ' -f1)"
cat > "$OUT/VERSION" <<EOF
@sentry/browser $VERSION (npm, $ACTUAL), sentry.min.js, MIT — see LICENSE
built by ops/vendor/sentry_browser.sh: esbuild $ESBUILD, entry ops/vendor/sentry-browser/entry.js
sha256 $SHA256
EOF

if (( CHECK )); then
  if diff -r "$OUT" "$DEST" >/dev/null; then
    echo "vendored @sentry/browser $VERSION is up to date"
    exit 0
  fi
  echo "erp/web/static/vendor/sentry/ differs from a fresh build: run $0" >&2
  diff -r "$OUT" "$DEST" | head -20 >&2 || true
  exit 1
fi
mkdir -p "$DEST"
cp "$OUT/sentry.min.js" "$OUT/LICENSE" "$OUT/VERSION" "$DEST/"
echo "vendored @sentry/browser $VERSION: $(wc -c < "$DEST/sentry.min.js") bytes, sha256 $SHA256"

#!/usr/bin/env bash
# Vendor the kit's browser libraries from npm into src/servicekit/web/static/vendor/.
#
# Why vendored: the five UIs must work with no CDN at run time (air-gapped installs, strict CSP),
# and every file we ship must be traceable to a pinned npm release and carry its licence.
# The pins live in src/servicekit/web/assets-src/package.json, the exact tarballs (with integrity
# hashes) in package-lock.json beside it. npm installs them into a throw-away directory and only
# the minified files the UIs actually serve, plus the licence files, are copied into the package.
# A manifest.json records which npm package and version each vendored folder came from.
#
# Usage:
#   scripts/vendor-web-assets.sh           reproduce static/vendor/ from the lock file (npm ci)
#   scripts/vendor-web-assets.sh --relock  re-resolve package.json first (after changing a pin)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
web="$root/src/servicekit/web"
assets_src="$web/assets-src"
vendor="$web/static/vendor"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cp "$assets_src/package.json" "$work/"
if [[ "${1:-}" == "--relock" || ! -f "$assets_src/package-lock.json" ]]; then
  (cd "$work" && npm install --package-lock-only --ignore-scripts --no-audit --no-fund)
  cp "$work/package-lock.json" "$assets_src/package-lock.json"
else
  cp "$assets_src/package-lock.json" "$work/"
fi
# --ignore-scripts: nothing from the registry runs on this machine; we only copy prebuilt files.
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund)

rm -rf "$vendor"
mkdir -p "$vendor"
records="$work/records.tsv"
: >"$records"

# vendor FOLDER PACKAGE FILE[=NAME]...
# Copies FILEs of the installed npm PACKAGE into static/vendor/FOLDER (as NAME when given) and
# records them for the manifest; files whose name starts with LICENSE are recorded as licences.
vendor() {
  local folder="$1" package="$2"
  shift 2
  mkdir -p "$vendor/$folder"
  local spec from name kind
  for spec in "$@"; do
    from="${spec%%=*}"
    name="$(basename "${spec#*=}")"
    cp "$work/node_modules/$package/$from" "$vendor/$folder/$name"
    kind=file
    [[ "$name" == LICENSE* ]] && kind=licence
    printf '%s\t%s\t%s\t%s\n' "$folder" "$package" "$kind" "$folder/$name" >>"$records"
  done
}

vendor htmx htmx.org dist/htmx.min.js LICENSE
vendor htmx-ext-sse htmx-ext-sse dist/sse.min.js LICENSE
vendor chart.js chart.js dist/chart.umd.min.js LICENSE.md
# The Chart.js UMD bundle inlines @kurkle/color (the release Chart.js was built with, which may be
# older than the one npm resolves here; the MIT licence is the same), so its licence ships too.
vendor chart.js @kurkle/color LICENSE.md=LICENSE-kurkle-color.md
vendor marked marked lib/marked.umd.js LICENSE
# DOMPurify is dual licensed (Apache-2.0 or MPL-2.0); both texts ship.
vendor dompurify dompurify dist/purify.min.js LICENSE LICENSE-MPL
vendor highlight.js @highlightjs/cdn-assets highlight.min.js styles/github-dark.min.css LICENSE
vendor pico @picocss/pico css/pico.min.css LICENSE.md

# manifest.json: { folder: { packages: {name: version}, files: [...], licences: [...] } }
(cd "$work" && node - "$records" >"$vendor/manifest.json") <<'EOF'
const fs = require("fs");
const manifest = {};
for (const line of fs.readFileSync(process.argv[2], "utf8").trim().split("\n")) {
  const [folder, pkg, kind, path] = line.split("\t");
  const entry = (manifest[folder] ??= { packages: {}, files: [], licences: [] });
  entry.packages[pkg] = require(`./node_modules/${pkg}/package.json`).version;
  (kind === "licence" ? entry.licences : entry.files).push(path);
}
process.stdout.write(JSON.stringify(manifest, null, 2) + "\n");
EOF

echo "vendored into ${vendor#"$root"/}:"
(cd "$vendor" && find . -type f | sort | sed 's|^\./|  |')

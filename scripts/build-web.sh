#!/usr/bin/env bash
# Copies the pinned Swagger UI release from the npm registry into
# adapters/http/webui/docs/swagger-ui, where the binary embeds it, so that
# /docs loads nothing from another host and `go build` needs no npm. The
# output is committed; run this after changing the version below.
#
#   scripts/build-web.sh           rebuild the folder
#   scripts/build-web.sh --check   fail when the committed folder differs
#                                  from a fresh build (CI)
#
# The web app itself (adapters/http/webui/app) is plain files with no build
# step.
set -euo pipefail
cd "$(dirname "$0")/.."

SWAGGER_UI_VERSION=5.35.0
# What the registry reported for that tarball when it was pinned; a
# different tarball under the same version stops the build.
SWAGGER_UI_INTEGRITY=sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==

dest=adapters/http/webui/docs/swagger-ui
check=false
if [ "${1:-}" = "--check" ]; then
	check=true
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent --json "swagger-ui-dist@$SWAGGER_UI_VERSION" >pack.json)
integrity=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1]))[0].integrity)' "$tmp/pack.json")
if [ "$integrity" != "$SWAGGER_UI_INTEGRITY" ]; then
	echo "swagger-ui-dist@$SWAGGER_UI_VERSION: integrity $integrity, expected $SWAGGER_UI_INTEGRITY" >&2
	exit 1
fi
tar -xzf "$tmp"/swagger-ui-dist-"$SWAGGER_UI_VERSION".tgz -C "$tmp"

out="$tmp/out"
mkdir -p "$out"
for f in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css favicon-32x32.png LICENSE NOTICE; do
	cp "$tmp/package/$f" "$out/$f"
done
# The source maps are not shipped; without these comments a browser's
# developer tools would ask the server for them and get 404s.
sed -i '/^\/\/# sourceMappingURL=/d' "$out/swagger-ui-bundle.js"
sed -i 's|/\*# sourceMappingURL=[^*]*\*/||' "$out/swagger-ui.css"
echo "swagger-ui-dist@$SWAGGER_UI_VERSION $SWAGGER_UI_INTEGRITY" >"$out/VERSION"

if $check; then
	if ! diff -r "$out" "$dest" >/dev/null; then
		echo "$dest differs from swagger-ui-dist@$SWAGGER_UI_VERSION: run scripts/build-web.sh and commit the result" >&2
		diff -rq "$out" "$dest" >&2 || true
		exit 1
	fi
	echo "$dest matches swagger-ui-dist@$SWAGGER_UI_VERSION"
	exit 0
fi
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
cp -r "$out" "$dest"
echo "wrote $dest from swagger-ui-dist@$SWAGGER_UI_VERSION"

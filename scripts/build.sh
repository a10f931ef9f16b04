#!/usr/bin/env bash
# Builds classify and train into bin/ without cgo, stamping the version and
# commit that --version prints (go build stamps VCS data itself unless
# -buildvcs=false is in force; this works either way).
set -euo pipefail
cd "$(dirname "$0")/.."
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
version=$(git describe --tags --always --dirty 2>/dev/null || echo devel)
pkg=github.com/flowclass/flowclass/internal/cli
mkdir -p bin
for cmd in classify train; do
  CGO_ENABLED=0 go build -ldflags "-X $pkg.version=$version -X $pkg.commit=$commit" -o "bin/$cmd" "./cmd/$cmd"
done
echo "built bin/classify and bin/train ($version, commit $commit)"

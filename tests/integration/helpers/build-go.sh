#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# build-go.sh GO SRCDIR OUTDIR: builds the Go ttrpc interop helpers offline in GOPATH
# mode against Debian's golang-github-containerd-ttrpc-dev (/usr/share/gocode), with the
# build cache inside the build directory.
set -eu
go=$1 src=$2
out=$(cd "$3" && pwd)
export GO111MODULE=off GOPATH="$src:/usr/share/gocode" GOCACHE="$out/go-cache" \
	GOFLAGS= GOPROXY=off GOENV=off GOTOOLCHAIN=local CGO_ENABLED=0
exec "$go" build -o "$out/" ttrpctest/cmd/ttrpc-call ttrpctest/cmd/ttrpc-echo-server

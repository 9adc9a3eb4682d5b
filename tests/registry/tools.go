//go:build tools

// Package tools pins the registry's main package so that `go mod tidy` keeps
// every module it needs; build.sh builds it by import path.
package tools

import (
	_ "github.com/distribution/distribution/v3/cmd/registry"
)

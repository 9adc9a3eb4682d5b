//go:build tools

// Package tools pins kwok's controller, built in its own module so that its
// k8s.io libraries stay at the versions kwok itself was released with.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"

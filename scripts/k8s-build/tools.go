//go:build tools

// The commands scripts/k8s-tools builds, named here so that `go mod tidy` keeps every module
// they need in go.mod and go.sum. The build tag keeps this file out of every build: a main
// package cannot really be imported.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)

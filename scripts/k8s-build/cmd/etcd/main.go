// Command etcd is the etcd server, built from go.etcd.io/etcd/server/v3: etcd's own main
// package lives in its root module, whose replace directives `go install` refuses, so this
// is the same one-line main around etcdmain.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}

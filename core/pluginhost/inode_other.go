//go:build !unix

package pluginhost

import "io/fs"

func inodeOf(fs.FileInfo) uint64 { return 0 }

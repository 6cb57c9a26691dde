package registry

import "github.com/imageworks-ai/loader/core/registry/internal/doc"

// runtimeOwned reports whether a top-level key is owned by the discovered
// layer (tooling), as the field table says; every other key, unknown ones
// included, is owned by the curated layer.
func runtimeOwned(key string) bool {
	f, ok := knownFields().byKey[key]
	return ok && f.owner == ownerRuntime
}

// RuntimeOwned reports whether a top-level entry key is owned by the
// discovered layer (artifacts, version_lock, performance, probes and the
// download state). Tooling may change these keys of any entry.
func RuntimeOwned(key string) bool { return runtimeOwned(key) }

// layerOwner is the field table's ownership rule for doc.Merge: a runtime-owned
// key is the discovered layer's (the overlay), every other key the curated
// layer's (the base).
func layerOwner(key string) doc.Owner {
	if runtimeOwned(key) {
		return doc.OverlayOwns
	}
	return doc.BaseOwns
}

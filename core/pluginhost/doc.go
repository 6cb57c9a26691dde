// Package pluginhost finds, starts, pins and supervises backend plugins:
// executables named imageworks-backend-NAME that speak the sdk's plugin
// protocol (hashicorp/go-plugin over gRPC).
//
// A Host is the one owner of every plugin process it starts. Plugins are
// found in a fixed order (Options.Dirs, IMAGEWORKS_PLUGIN_PATH, the folder of
// the running imageworks-loader, $XDG_DATA_HOME/imageworks/plugins; never the
// working directory), started lazily on first use, one process per backend
// per Host, in a process group of their own with an allow-listed
// environment, and killed (group and all) by Close. When a plugins.lock.json
// exists, a binary that it does not list, or whose SHA-256 differs, is
// refused before it runs.
//
// Nothing in this package prints or exits; every failure comes back as an
// error, plugin failures as *PluginError matching one of the ErrPlugin...
// sentinels.
package pluginhost

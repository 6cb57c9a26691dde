// Package supervise runs model servers that outlive the program that
// starts them: one server per port, recorded in a state file the earlier
// Python tool can read too, guarded by an advisory lock.
//
// A Supervisor starts a server in its own session with its output in a log
// file, waits until its readiness check answers, and stops it (SIGTERM to
// its process group, SIGKILL after a timeout). It never signals a process
// it cannot prove is the one the state file names: the pid and the
// process's start time must both match. Proving needs Linux's /proc;
// elsewhere no recorded process is ever signalled.
package supervise

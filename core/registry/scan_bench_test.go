package registry

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/core/registry/registrytest"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkScan(b *testing.B) {
	dir := b.TempDir()
	if err := registrytest.WriteScaled(dir, 5000); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(dir + "/" + DiscoveredFile)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	c0 := cpuTime()
	for b.Loop() {
		if _, err := scanRecords(data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N)/1e6, "cpu-ms/op")
}

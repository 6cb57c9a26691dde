package supervise

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// GPU is one GPU's memory as nvidia-smi reports it.
type GPU struct {
	// Index is nvidia-smi's index of the GPU.
	Index int `json:"index"`
	// Name is the GPU's model name.
	Name string `json:"name"`
	// MemoryUsedMiB and MemoryTotalMiB are its memory in MiB.
	MemoryUsedMiB  int64 `json:"memory_used_mib"`
	MemoryTotalMiB int64 `json:"memory_total_mib"`
}

// GPUMemory asks nvidia-smi (looked up in PATH) for every GPU's memory. No
// nvidia-smi is no GPU and no error; one that fails or answers what cannot
// be read is an error.
func GPUMemory(ctx context.Context) ([]GPU, error) {
	bin, err := exec.LookPath("nvidia-smi")
	if errors.Is(err, exec.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("nvidia-smi: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--query-gpu=index,name,memory.used,memory.total", "--format=csv,noheader,nounits").Output()
	if err != nil {
		return nil, fmt.Errorf("nvidia-smi: %w", err)
	}
	var gpus []GPU
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) != 4 {
			return nil, fmt.Errorf("nvidia-smi: cannot read %q", line)
		}
		var g GPU
		var errs [3]error
		g.Index, errs[0] = strconv.Atoi(strings.TrimSpace(f[0]))
		g.Name = strings.TrimSpace(f[1])
		g.MemoryUsedMiB, errs[1] = strconv.ParseInt(strings.TrimSpace(f[2]), 10, 64)
		g.MemoryTotalMiB, errs[2] = strconv.ParseInt(strings.TrimSpace(f[3]), 10, 64)
		if err := errors.Join(errs[:]...); err != nil {
			return nil, fmt.Errorf("nvidia-smi: cannot read %q: %w", line, err)
		}
		gpus = append(gpus, g)
	}
	return gpus, nil
}

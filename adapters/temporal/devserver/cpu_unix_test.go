//go:build unix

package devserver

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used. The benchmark reports it
// per workflow because, unlike wall-clock rates, it holds steady while other
// work on the machine competes for the cores.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

//go:build !unix

package safefile

import "os"

// precheck refuses a non-regular file before opening it, since opening
// cannot be made non-blocking here.
func precheck(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return nil // Open reports it
	}
	return CheckRegular(path, fi)
}

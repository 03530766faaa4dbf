//go:build !linux

package writer

import "os"

func openAnonymous(string) (*os.File, error) { return nil, errNoAnonymous }

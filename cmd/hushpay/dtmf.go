package main

import (
	"context"
	"errors"
	"io"
)

// runDTMF is filled in by the issue that builds this command.
func runDTMF(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("not built yet")
}

package main

import (
	"context"
	"errors"
	"io"
)

// runServe is filled in by the issue that builds this command.
func runServe(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("not built yet")
}

package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/hushpay/hushpay/internal/config"
)

func runConfig(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "Usage: hushpay config docs | keys | check FILE")
		return errUsage
	}
	switch args[0] {
	case "docs":
		fmt.Fprint(stdout, config.Markdown())
	case "keys":
		for _, k := range config.Keys() {
			fmt.Fprintf(stdout, "%s\t%s\t%s\n", k.Path, k.Env, k.Default)
		}
	case "check":
		if len(args) != 2 {
			fmt.Fprintln(stderr, "Usage: hushpay config check FILE")
			return errUsage
		}
		if _, err := config.Load(args[1], os.Environ()); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "ok")
	default:
		fmt.Fprintf(stderr, "hushpay config: unknown subcommand %q\n", args[0])
		return errUsage
	}
	return nil
}

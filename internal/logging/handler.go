package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// New returns a logger writing text or JSON lines to w at the given level ("debug", "info",
// "warn", "error"), with card data redacted.
func New(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("logging: level %q: %w", level, err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	switch strings.ToLower(format) {
	case "", "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("logging: format %q: want text or json", format)
	}
	return slog.New(NewRedactingHandler(h)), nil
}

// RedactingHandler wraps another slog.Handler and removes card data from the message and
// from every attribute (including groups, errors and values printed with fmt) before the
// wrapped handler sees the record.
type RedactingHandler struct {
	next slog.Handler
}

// NewRedactingHandler wraps next.
func NewRedactingHandler(next slog.Handler) *RedactingHandler {
	return &RedactingHandler{next: next}
}

// Enabled reports whether the wrapped handler handles records at level.
func (h *RedactingHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle redacts r and passes it on.
func (h *RedactingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Redact(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs returns a handler whose pre-set attributes are redacted too.
func (h *RedactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = redactAttr(a)
	}
	return &RedactingHandler{next: h.next.WithAttrs(red)}
}

// WithGroup returns a handler that nests later attributes under name.
func (h *RedactingHandler) WithGroup(name string) slog.Handler {
	return &RedactingHandler{next: h.next.WithGroup(Redact(name))}
}

func redactAttr(a slog.Attr) slog.Attr {
	a.Key = Redact(a.Key)
	v := a.Value.Resolve()
	if SensitiveKey(a.Key) && v.Kind() != slog.KindGroup {
		return slog.String(a.Key, Redacted)
	}
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Redact(v.String()))
	case slog.KindGroup:
		g := v.Group()
		red := make([]slog.Attr, len(g))
		for i, ga := range g {
			red[i] = redactAttr(ga)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(red...)}
	case slog.KindAny:
		// Errors, byte slices, structs: print them and redact the text, so that no
		// formatting path of an arbitrary value can carry a card number out.
		switch x := v.Any().(type) {
		case []byte:
			return slog.String(a.Key, Redact(string(x)))
		case error:
			return slog.String(a.Key, Redact(x.Error()))
		default:
			return slog.String(a.Key, Redact(fmt.Sprintf("%+v", x)))
		}
	default: // numbers, bools, times, durations: int64 holds at most 19 digits
		if v.Kind() == slog.KindInt64 || v.Kind() == slog.KindUint64 {
			if s := v.String(); Redact(s) != s {
				return slog.String(a.Key, Redacted)
			}
		}
		return slog.Attr{Key: a.Key, Value: v}
	}
}

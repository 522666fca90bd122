package capture

import (
	"testing"
	"time"
)

// BenchmarkMachineKey measures one key press on the card number (no view built).
func BenchmarkMachineKey(b *testing.B) {
	m, _ := NewMachine(DefaultRules(), Specs(FieldCardNumber, FieldExpiry, FieldSecurityCode))
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	m.Start(FieldCardNumber, now)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%10 == 9 {
			m.Reset(FieldCardNumber, now)
		}
		m.Key('4', now)
	}
}

// BenchmarkMachineView measures building the masked view sent to the agent.
func BenchmarkMachineView(b *testing.B) {
	m, _ := NewMachine(DefaultRules(), Specs(FieldCardNumber, FieldExpiry, FieldSecurityCode))
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	m.Start(FieldCardNumber, now)
	for _, k := range []byte("424242424242424212") {
		m.Key(k, now)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

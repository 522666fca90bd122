package config

import (
	"testing"
	"time"
)

func TestMediaValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(m *Media)
		wantErr bool
	}{
		{name: "defaults", edit: func(*Media) {}},
		{name: "bad bind", edit: func(m *Media) { m.Bind = "localhost" }, wantErr: true},
		{name: "advertise", edit: func(m *Media) { m.Advertise = "203.0.113.7" }},
		{name: "advertise unspecified", edit: func(m *Media) { m.Advertise = "0.0.0.0" }, wantErr: true},
		{name: "advertise not an address", edit: func(m *Media) { m.Advertise = "pbx.example" }, wantErr: true},
		{name: "ports reversed", edit: func(m *Media) { m.PortMin, m.PortMax = 30000, 20000 }, wantErr: true},
		{name: "privileged port", edit: func(m *Media) { m.PortMin = 80 }, wantErr: true},
		{name: "zero latch timeout", edit: func(m *Media) { m.LatchTimeout = 0 }, wantErr: true},
		{name: "mode digit", edit: func(m *Media) { m.Mask.Mode = "digit"; m.Mask.Digit = "0" }},
		{name: "unknown mode", edit: func(m *Media) { m.Mask.Mode = "beep" }, wantErr: true},
		{name: "digit not allowed", edit: func(m *Media) { m.Mask.Digit = "5" }, wantErr: true},
		{name: "tone below band", edit: func(m *Media) { m.Mask.ToneHz = 50 }, wantErr: true},
		{name: "level above 0", edit: func(m *Media) { m.Mask.LevelDBm0 = 3 }, wantErr: true},
		{name: "delay over 30ms", edit: func(m *Media) { m.Mask.Delay = 40 * time.Millisecond }, wantErr: true},
		{name: "delay 30ms", edit: func(m *Media) { m.Mask.Delay = 30 * time.Millisecond }},
		{name: "max lag too small", edit: func(m *Media) { m.Mask.MaxLag = time.Millisecond }, wantErr: true},
		{name: "negative hold", edit: func(m *Media) { m.Mask.FailHold = -time.Second }, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Default().Media
			tt.edit(&m)
			if err := m.validate(); (err != nil) != tt.wantErr {
				t.Fatalf("validate() = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}

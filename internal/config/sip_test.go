package config

import (
	"testing"
)

func TestSIPValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(s *SIP)
		wantErr bool
	}{
		{name: "defaults", edit: func(*SIP) {}},
		{name: "bad listen", edit: func(s *SIP) { s.Listen = "5060" }, wantErr: true},
		{name: "cert without key", edit: func(s *SIP) { s.TLSCert = "c.pem" }, wantErr: true},
		{name: "tls", edit: func(s *SIP) { s.TLSCert, s.TLSKey = "c.pem", "k.pem" }},
		{name: "upstream", edit: func(s *SIP) { s.Upstream = "sip:10.0.0.5:5060;transport=tcp" }},
		{name: "upstream not a URI", edit: func(s *SIP) { s.Upstream = "10.0.0.5" }, wantErr: true},
		{name: "route", edit: func(s *SIP) {
			s.Routes = []SIPRoute{{UserPrefix: "44", Source: "192.0.2.0/24", Upstream: "sip:pbx2"}}
		}},
		{name: "route bad source", edit: func(s *SIP) { s.Routes = []SIPRoute{{Source: "lan", Upstream: "sip:pbx2"}} }, wantErr: true},
		{name: "route no upstream", edit: func(s *SIP) { s.Routes = []SIPRoute{{UserPrefix: "1"}} }, wantErr: true},
		{name: "zero max calls", edit: func(s *SIP) { s.MaxCalls = 0 }, wantErr: true},
		{name: "bad media address", edit: func(s *SIP) { s.MediaAddress = "relay" }, wantErr: true},
		{name: "activation code", edit: func(s *SIP) { s.ActivationCode = "*77#" }},
		{name: "bad activation code", edit: func(s *SIP) { s.ActivationCode = "12a" }, wantErr: true},
		{name: "bad terminator", edit: func(s *SIP) { s.Conference.Terminator = "1" }, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Default().SIP
			tt.edit(&s)
			if err := s.validate(); (err != nil) != tt.wantErr {
				t.Fatalf("validate() = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}

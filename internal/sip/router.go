package sip

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/hushpay/hushpay/internal/config"
)

// Router picks the upstream an inline call is forwarded to: the first rule whose request-URI
// user prefix and source address both match, else the default upstream.
type Router struct {
	rules []route
	def   *sip.Uri
}

type route struct {
	prefix string
	source netip.Prefix // zero: any source
	up     sip.Uri
}

// NewRouter builds a Router from the default upstream URI (may be empty) and the rules.
func NewRouter(upstream string, rules []config.SIPRoute) (*Router, error) {
	r := &Router{}
	if upstream != "" {
		u, err := parseURI(upstream)
		if err != nil {
			return nil, fmt.Errorf("%w: upstream %q: %w", ErrBadConfig, upstream, err)
		}
		r.def = &u
	}
	for i, c := range rules {
		u, err := parseURI(c.Upstream)
		if err != nil {
			return nil, fmt.Errorf("%w: routes[%d].upstream %q: %w", ErrBadConfig, i, c.Upstream, err)
		}
		rt := route{prefix: c.UserPrefix, up: u}
		if c.Source != "" {
			p, err := netip.ParsePrefix(c.Source)
			if err != nil {
				a, err2 := netip.ParseAddr(c.Source)
				if err2 != nil {
					return nil, fmt.Errorf("%w: routes[%d].source %q: %w", ErrBadConfig, i, c.Source, err)
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			rt.source = p.Masked()
		}
		r.rules = append(r.rules, rt)
	}
	return r, nil
}

func parseURI(s string) (sip.Uri, error) {
	var u sip.Uri
	if err := sip.ParseUri(s, &u); err != nil {
		return u, err
	}
	if u.Host == "" {
		return u, fmt.Errorf("no host")
	}
	return u, nil
}

// Pick returns the upstream for a request-URI user and the source address of the request,
// and false when no rule matches and there is no default.
func (r *Router) Pick(user string, src netip.Addr) (sip.Uri, bool) {
	src = src.Unmap()
	for _, rt := range r.rules {
		if !strings.HasPrefix(user, rt.prefix) {
			continue
		}
		if rt.source.IsValid() && !rt.source.Contains(src) {
			continue
		}
		return rt.up, true
	}
	if r.def != nil {
		return *r.def, true
	}
	return sip.Uri{}, false
}

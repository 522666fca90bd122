package sip

import (
	"sync"
	"time"
)

// challengeTTL is how long a challenged call's upstream dialog identifiers are kept for the
// caller's retry (RFC 3261 §22.2: the retry comes at once, with the same Call-ID).
const challengeTTL = 32 * time.Second

// challenges remembers, for a caller's Call-ID whose INVITE the upstream challenged (401/407),
// the Call-ID, From tag and CSeq Hushpay used upstream, so that the retried INVITE goes
// upstream in the same way: same Call-ID and tag, next CSeq (RFC 3261 §8.1.3.5). Upstreams
// that tie a nonce to the Call-ID then accept the credentials.
type challenges struct {
	mu sync.Mutex
	m  map[string]challenge
}

type challenge struct {
	callID  string
	fromTag string
	cseq    uint32
	at      time.Time
}

func (cs *challenges) put(inID string, ch challenge) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.m == nil {
		cs.m = map[string]challenge{}
	}
	now := time.Now()
	for k, v := range cs.m { // bounded by the call rate times the TTL
		if now.Sub(v.at) > challengeTTL {
			delete(cs.m, k)
		}
	}
	ch.at = now
	cs.m[inID] = ch
}

// take returns and forgets the challenge of a caller's Call-ID.
func (cs *challenges) take(inID string) (challenge, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	ch, ok := cs.m[inID]
	if ok {
		delete(cs.m, inID)
	}
	if ok && time.Since(ch.at) > challengeTTL {
		return challenge{}, false
	}
	return ch, ok
}

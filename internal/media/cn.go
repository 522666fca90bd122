package media

import "fmt"

// cnStage handles comfort noise (RFC 3389) from the customer in secure mode. The payload's
// first octet is the noise level (§3.1); the optional spectral coefficients that follow are
// dropped, so the agent's side renders plain noise whatever spectrum the sender described.
type cnStage struct{}

// HandleRTP implements stage.
func (cnStage) HandleRTP(p *Packet) error {
	if !p.secure || p.kind != kindCN {
		return nil
	}
	if len(p.Payload) == 0 {
		p.Drop()
		p.doubt = true
		return fmt.Errorf("%w: empty comfort noise payload", ErrMalformed)
	}
	p.Payload = p.Payload[:1]
	return nil
}

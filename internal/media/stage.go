package media

// stage is one step of a direction's packet chain. HandleRTP may rewrite the packet in
// place, mark it dropped (p.Drop) or flag doubt (p.doubt: mask it whole); it returns an
// error only for input it could not handle, which in secure mode fails closed.
type stage interface {
	HandleRTP(p *Packet) error
}

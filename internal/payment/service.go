package payment

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hushpay/hushpay/internal/capture"
)

// Options configure a Service. The zero value gives the defaults.
type Options struct {
	// Rules for capture (terminator, timeout, attempts, allowed brands, mask style);
	// capture.DefaultRules() when MaxAttempts is 0.
	Rules capture.Rules
	// CallRefDigits is the length of generated call references (6 when 0).
	CallRefDigits int
	// Clock tells the time and runs capture timeouts (SystemClock when nil).
	Clock Clock
	// Logger receives operational logs (slog.Default() when nil). It should be a
	// logging.New logger; the Service never logs card data either way.
	Logger *slog.Logger
	// NewID makes session and token IDs (random when nil); for tests.
	NewID func(prefix string) string
	// OnEvent is called with every committed event, in order per session, after the
	// change is stored (for the SSE hub and webhooks). It must not block for long.
	OnEvent func(*Event)
	// OnSecure is called when a paired call enters (true) or leaves (false) secure mode,
	// after the change is stored, so that the media layer masks or stops masking.
	OnSecure func(callID string, on bool)
	// LookupTimeout bounds the lookup made right after an attempt's answer was lost
	// (10 s when 0).
	LookupTimeout time.Duration
	// CardTTL is how long captured card data is kept without any capture activity before
	// it is wiped and the session's capture starts again (15 min when 0).
	CardTTL time.Duration
}

// Service drives payment sessions: it creates them, feeds keypad digits to their capture
// state machines, keeps the masked view, records every change as an Event, and pays
// through a Connector. It is safe for concurrent use.
//
// Card data lives only in this Service's memory, on the node whose media layer captured
// it: Pay must run on that node (other nodes answer ErrNoCardData).
//
// Lock order: live.mu (one session's card data), then Service.mu (a leaf lock guarding
// the maps, held only for map access); never Service.mu while taking a live.mu. Neither is
// held while a connector is called. Repository calls are made under live.mu (so that a
// session's digits are stored in order) but never under Service.mu.
type Service struct {
	repo  Repository
	conn  Connector
	opts  Options
	clock Clock
	log   *slog.Logger

	mu    sync.Mutex
	lives map[string]*live  // session ID → card data held on this node
	agent map[string][]byte // call ID → agent-side digits keyed towards a call reference
}

// NewService returns a Service storing sessions in repo and paying through conn.
func NewService(repo Repository, conn Connector, opts Options) (*Service, error) {
	if repo == nil || conn == nil {
		return nil, fmt.Errorf("%w: repository and connector are required", ErrInvalidRequest)
	}
	if opts.Rules.MaxAttempts == 0 {
		r := capture.DefaultRules()
		r.AllowedBrands, r.NoAutoAdvance = opts.Rules.AllowedBrands, opts.Rules.NoAutoAdvance
		if opts.Rules.MaskStyle != "" {
			r.MaskStyle = opts.Rules.MaskStyle
		}
		if opts.Rules.Terminator != 0 {
			r.Terminator = opts.Rules.Terminator
		}
		if opts.Rules.Timeout != 0 {
			r.Timeout = opts.Rules.Timeout
		}
		opts.Rules = r
	}
	if _, err := capture.NewMachine(opts.Rules, capture.Specs(capture.FieldCardNumber)); err != nil {
		return nil, err
	}
	if opts.CallRefDigits == 0 {
		opts.CallRefDigits = 6
	}
	if opts.CallRefDigits < 4 || opts.CallRefDigits > 12 {
		return nil, fmt.Errorf("%w: call reference length %d", ErrInvalidRequest, opts.CallRefDigits)
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.NewID == nil {
		opts.NewID = randomID
	}
	if opts.LookupTimeout == 0 {
		opts.LookupTimeout = 10 * time.Second
	}
	if opts.CardTTL <= 0 {
		opts.CardTTL = 15 * time.Minute
	}
	return &Service{
		repo: repo, conn: conn, opts: opts, clock: opts.Clock, log: opts.Logger,
		lives: map[string]*live{}, agent: map[string][]byte{},
	}, nil
}

// Connector returns the connector the Service pays through.
func (s *Service) Connector() Connector { return s.conn }

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// randomID returns prefix_ and 24 random base32 characters (120 bits).
func randomID(prefix string) string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// newEvent makes an event of the given type at the current time.
func (s *Service) newEvent(t EventType, attrs ...Attr) *Event {
	return &Event{Type: t, Data: NewData(attrs...), Time: s.now()}
}

// emit passes committed events to OnEvent.
func (s *Service) emit(evs []*Event) {
	if s.opts.OnEvent == nil {
		return
	}
	for _, e := range evs {
		s.opts.OnEvent(e)
	}
}

// update reads the session, lets fn change it and returns the events recording the
// change, stores both, and retries from a fresh read when another writer got there first
// (ErrConflict). fn may run more than once and must only change the session it is given.
// When fn returns no events nothing is stored.
func (s *Service) update(ctx context.Context, tenant, id string, fn func(*Session) ([]*Event, error)) (*Session, error) {
	return s.updateFrom(ctx, tenant, id, nil, fn)
}

// updateFrom is update starting from a session the caller has just read (nil: read it),
// saving a read on the common path; a stale copy costs one ErrConflict and a re-read.
func (s *Service) updateFrom(ctx context.Context, tenant, id string, first *Session, fn func(*Session) ([]*Event, error)) (*Session, error) {
	for try := 0; ; try++ {
		sess := first
		first = nil
		if sess == nil {
			var err error
			if sess, err = s.repo.GetSession(ctx, tenant, id); err != nil {
				return nil, err
			}
		}
		evs, err := fn(sess)
		if err != nil {
			return sess, err
		}
		if len(evs) == 0 {
			return sess, nil
		}
		sess.UpdatedAt = s.now()
		err = s.repo.UpdateSession(ctx, sess, evs...)
		if errors.Is(err, ErrConflict) && try < 8 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("payment: store session: %w", err)
		}
		s.emit(evs)
		return sess, nil
	}
}

// CreateRequest holds what is needed to create a session.
type CreateRequest struct {
	// Tenant owning the session (required) and AgentID taking the payment (optional).
	Tenant  string
	AgentID string
	// Type of payment (sale when empty).
	Type Type
	// Amount in minor units and ISO 4217 Currency code.
	Amount   int64
	Currency string
	// AccountRef and Description for the merchant's and the gateway's records. They must
	// not contain a run of 12 or more digits (which could be a card number).
	AccountRef  string
	Description string
	// Schedule for TypeRecurring.
	Schedule *Schedule
	// RequiredFields to collect (card number, expiry, security code when empty).
	RequiredFields []capture.FieldName
	// AllowedBrands narrows the brands the configuration allows (empty: all of them).
	AllowedBrands []capture.Brand
	// IdempotencyKey (required, 1–255 printable ASCII characters).
	IdempotencyKey string
	// CallID pairs the session with a known call at once; Header with the value of the
	// configured SIP header of a call yet to come. Both optional.
	CallID string
	Header string
}

// Create makes a new session, or returns the one created earlier with the same
// idempotency key (created false). A different request with a used key fails with
// ErrIdempotencyMismatch; an invalid one with ErrInvalidRequest (its text says why and is
// safe to show).
func (s *Service) Create(ctx context.Context, req CreateRequest) (sess *Session, created bool, err error) {
	if req.Type == "" {
		req.Type = TypeSale
	}
	if len(req.RequiredFields) == 0 {
		req.RequiredFields = []capture.FieldName{capture.FieldCardNumber, capture.FieldExpiry, capture.FieldSecurityCode}
	}
	req.Currency = strings.ToUpper(req.Currency)
	if err := s.validateCreate(&req); err != nil {
		return nil, false, err
	}
	if old, err := s.repo.GetSessionByKey(ctx, req.Tenant, req.IdempotencyKey); err == nil {
		return sameRequest(old, &req)
	} else if !errors.Is(err, ErrNotFound) {
		return nil, false, err
	}
	m, err := s.newMachine(req.RequiredFields, req.AllowedBrands)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	now := s.now()
	sess = &Session{
		ID: s.opts.NewID("ps"), Tenant: req.Tenant, AgentID: req.AgentID, Type: req.Type,
		Amount: req.Amount, Currency: req.Currency, AccountRef: req.AccountRef,
		Description: req.Description, Schedule: req.Schedule, RequiredFields: req.RequiredFields,
		AllowedBrands: req.AllowedBrands, IdempotencyKey: req.IdempotencyKey,
		Pairing: Pairing{CallID: req.CallID, Header: req.Header},
		Capture: m.View(), Status: StatusPending, CreatedAt: now, UpdatedAt: now,
	}
	for try := 0; ; try++ {
		sess.Pairing.CallRef = randomDigits(s.opts.CallRefDigits)
		ev := s.newEvent(EventSessionCreated, Str("type", string(sess.Type)), Int("amount", sess.Amount),
			Str("currency", sess.Currency), Str("call_ref", sess.Pairing.CallRef), ViewAttr("capture", sess.Capture))
		err = s.repo.CreateSession(ctx, sess, ev)
		switch {
		case err == nil:
			s.emit([]*Event{ev})
			s.log.Info("payment session created", "session", sess.ID, "tenant", sess.Tenant, "type", sess.Type)
			return sess, true, nil
		case errors.Is(err, ErrDuplicateKey):
			old, gerr := s.repo.GetSessionByKey(ctx, req.Tenant, req.IdempotencyKey)
			if gerr != nil {
				return nil, false, err
			}
			return sameRequest(old, &req)
		case errors.Is(err, ErrPairingInUse) && try < 20 && !s.pairingTaken(ctx, &req):
			continue // the random call reference collided: draw another
		default:
			return nil, false, err
		}
	}
}

// pairingTaken reports whether the call ID or header asked for is already paired with an
// active session (so that a pairing conflict is not the random call reference's).
func (s *Service) pairingTaken(ctx context.Context, req *CreateRequest) bool {
	for _, p := range []struct {
		kind  PairingKind
		value string
	}{{PairByCallID, req.CallID}, {PairByHeader, req.Header}} {
		if p.value == "" {
			continue
		}
		if _, err := s.repo.FindActive(ctx, p.kind, p.value); !errors.Is(err, ErrNotFound) {
			return true
		}
	}
	return false
}

// sameRequest returns old when req asks for the same session, else ErrIdempotencyMismatch.
func sameRequest(old *Session, req *CreateRequest) (*Session, bool, error) {
	same := old.Type == req.Type && old.Amount == req.Amount && old.Currency == req.Currency &&
		old.AccountRef == req.AccountRef && old.AgentID == req.AgentID &&
		fmt.Sprint(old.RequiredFields) == fmt.Sprint(req.RequiredFields)
	if !same {
		return nil, false, ErrIdempotencyMismatch
	}
	return old, false, nil
}

// randomDigits returns n random decimal digits, the first not 0.
func randomDigits(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10 // bias of 6/256 towards 0–5 is harmless for a pairing code
	}
	if b[0] == '0' {
		b[0] = '1' + b[0]%9
	}
	return string(b)
}

// newMachine builds the capture machine of a session: the configured rules with the
// session's brand restriction.
func (s *Service) newMachine(fields []capture.FieldName, brands []capture.Brand) (*capture.Machine, error) {
	r := s.opts.Rules
	if len(brands) > 0 {
		var allowed []capture.Brand
		for _, b := range brands {
			if b.Allowed(s.opts.Rules.AllowedBrands) {
				allowed = append(allowed, b)
			}
		}
		if len(allowed) == 0 {
			return nil, fmt.Errorf("none of the allowed brands is accepted by the configuration")
		}
		r.AllowedBrands = allowed
	}
	return capture.NewMachine(r, capture.Specs(fields...))
}

// Get returns the tenant's session (masked: it never holds card data).
func (s *Service) Get(ctx context.Context, tenant, id string) (*Session, error) {
	return s.repo.GetSession(ctx, tenant, id)
}

// List returns sessions matching f (Tenant required), newest first.
func (s *Service) List(ctx context.Context, f Filter) ([]*Session, error) {
	if f.Tenant == "" {
		return nil, fmt.Errorf("%w: tenant required", ErrInvalidRequest)
	}
	return s.repo.ListSessions(ctx, f)
}

// Events returns a session's events after the sequence number afterSeq (at most limit;
// all when limit <= 0), for an event stream resumed with Last-Event-ID.
func (s *Service) Events(ctx context.Context, tenant, id string, afterSeq int64, limit int) ([]*Event, error) {
	return s.repo.ListEvents(ctx, tenant, id, afterSeq, limit)
}

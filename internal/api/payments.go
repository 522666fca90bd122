package api

import (
	"context"

	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/payment"
)

// Payments is what the API needs of the payment service (*payment.Service implements it).
// Every method is scoped to a tenant; a session of another tenant is payment.ErrNotFound.
type Payments interface {
	Create(ctx context.Context, req payment.CreateRequest) (*payment.Session, bool, error)
	Get(ctx context.Context, tenant, id string) (*payment.Session, error)
	List(ctx context.Context, f payment.Filter) ([]*payment.Session, error)
	StartCapture(ctx context.Context, tenant, id string, field capture.FieldName) (*payment.Session, error)
	ResetField(ctx context.Context, tenant, id string, field capture.FieldName) (*payment.Session, error)
	StartAgain(ctx context.Context, tenant, id string) (*payment.Session, error)
	Pay(ctx context.Context, tenant, id string) (*payment.Session, error)
	Cancel(ctx context.Context, tenant, id, reason string) (*payment.Session, error)
	Resolve(ctx context.Context, tenant, id string) (*payment.Session, error)
}

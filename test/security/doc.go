// Package security holds Hushpay's cross-cutting PCI DSS tests: known test card numbers and
// security codes are driven through every path (the API, capture through the payment
// service as the media layer drives it, the gateway connector with its faults, webhooks, event
// streams, error answers), then every artifact is scanned for them: the database files and
// rows, the logs, every webhook body and every byte of the event streams.
package security

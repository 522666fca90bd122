-- A session's event stream (GET /v1/sessions/{id}/events, resumable with Last-Event-ID)
-- reads "session_id = ? AND id > ? ORDER BY id": without this index the database walks the
-- whole event log from the resume point, which grows with every session ever made.

-- +goose Up
CREATE INDEX events_session ON events (session_id, id);

-- +goose Down
DROP INDEX events_session;

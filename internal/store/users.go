package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// User is a person who logs in to the dashboard: an agent, a supervisor or an admin of one
// tenant. Only a password hash is kept (the web package makes it with argon2id).
type User struct {
	ID           string
	TenantID     string
	Username     string // unique across tenants, the login name
	Role         string // agent, supervisor or admin (checked by the web package)
	PasswordHash string
	// FailedLogins counts wrong passwords since the last good one; LockedUntil is when a
	// lockout ends (zero when not locked).
	FailedLogins int
	LockedUntil  time.Time
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Locked reports whether the user is locked out at now.
func (u User) Locked(now time.Time) bool { return now.Before(u.LockedUntil) }

// Login is one logged-in browser: the SHA-256 of its cookie's token, the user, the token
// its forms must carry (CSRF) and when it ends.
type Login struct {
	TokenHash string
	UserID    string
	CSRFToken string
	CreatedAt time.Time
	ExpiresAt time.Time
}

const userColumns = `id, tenant_id, username, role, password_hash, failed_logins, locked_until, disabled, created_at, updated_at`

func scanUser(sc interface{ Scan(...any) error }) (User, error) {
	var u User
	var locked, created, updated int64
	var disabled int
	if err := sc.Scan(&u.ID, &u.TenantID, &u.Username, &u.Role, &u.PasswordHash, &u.FailedLogins, &locked, &disabled, &created, &updated); err != nil {
		return u, err
	}
	if locked != 0 {
		u.LockedUntil = fromTS(locked)
	}
	u.Disabled = disabled != 0
	u.CreatedAt, u.UpdatedAt = fromTS(created), fromTS(updated)
	return u, nil
}

// CreateUser inserts u, setting its ID (when empty), CreatedAt and UpdatedAt. A username
// already taken gives ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	if u.ID == "" {
		u.ID = NewID("usr_")
	}
	u.CreatedAt = s.now().UTC()
	u.UpdatedAt = u.CreatedAt
	_, err := s.exec(ctx, `INSERT INTO web_users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?, ?)`,
		u.ID, u.TenantID, u.Username, u.Role, u.PasswordHash, boolInt(u.Disabled), ts(u.CreatedAt), ts(u.UpdatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("%w: username %q is taken", ErrConflict, u.Username)
	}
	if err != nil {
		return fmt.Errorf("store: create user: %w", err)
	}
	return nil
}

// UserByName returns the user with this login name, or ErrNotFound.
func (s *Store) UserByName(ctx context.Context, username string) (User, error) {
	return s.oneUser(ctx, `SELECT `+userColumns+` FROM web_users WHERE username = ?`, username)
}

// User returns the user with this ID, or ErrNotFound.
func (s *Store) User(ctx context.Context, id string) (User, error) {
	return s.oneUser(ctx, `SELECT `+userColumns+` FROM web_users WHERE id = ?`, id)
}

func (s *Store) oneUser(ctx context.Context, q string, arg string) (User, error) {
	u, err := scanUser(s.queryRow(ctx, q, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("%w: user", ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("store: user: %w", err)
	}
	return u, nil
}

// Users lists a tenant's users by login name.
func (s *Store) Users(ctx context.Context, tenantID string) ([]User, error) {
	rows, err := s.query(ctx, `SELECT `+userColumns+` FROM web_users WHERE tenant_id = ? ORDER BY username`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CountUsers returns how many users exist across all tenants (to detect a first start).
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM web_users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count users: %w", err)
	}
	return n, nil
}

// UpdateUser changes a tenant's user's role, disabled flag and, when hash is not empty, its
// password hash (which also clears a lockout). Disabling a user or changing its password
// ends its logins.
func (s *Store) UpdateUser(ctx context.Context, tenantID, id, role string, disabled bool, hash string) error {
	return s.withTx(ctx, func(t *tx) error {
		now := ts(s.now())
		var res sql.Result
		var err error
		if hash != "" {
			res, err = t.exec(ctx, `UPDATE web_users SET role = ?, disabled = ?, password_hash = ?, failed_logins = 0, locked_until = 0, updated_at = ? WHERE id = ? AND tenant_id = ?`,
				role, boolInt(disabled), hash, now, id, tenantID)
		} else {
			res, err = t.exec(ctx, `UPDATE web_users SET role = ?, disabled = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`,
				role, boolInt(disabled), now, id, tenantID)
		}
		if err != nil {
			return fmt.Errorf("store: update user: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: user %s", ErrNotFound, id)
		}
		if disabled || hash != "" {
			if _, err := t.exec(ctx, `DELETE FROM web_logins WHERE user_id = ?`, id); err != nil {
				return fmt.Errorf("store: update user: %w", err)
			}
		}
		return nil
	})
}

// LoginFailed counts a wrong password for the user and, when the count reaches max, locks
// the user out until now+lockFor and starts counting again. It returns the lockout's end
// (zero when not locked by this failure). The count is kept in the database so that every
// node of a cluster sees the same one.
func (s *Store) LoginFailed(ctx context.Context, id string, max int, lockFor time.Duration) (time.Time, error) {
	var until time.Time
	err := s.withTx(ctx, func(t *tx) error {
		now := s.now().UTC()
		var n int
		if err := t.queryRow(ctx, `SELECT failed_logins FROM web_users WHERE id = ?`, id).Scan(&n); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("%w: user %s", ErrNotFound, id)
			}
			return fmt.Errorf("store: login failed: %w", err)
		}
		n++
		var err error
		if max > 0 && n >= max {
			until = now.Add(lockFor)
			_, err = t.exec(ctx, `UPDATE web_users SET failed_logins = 0, locked_until = ?, updated_at = ? WHERE id = ?`,
				ts(until), ts(now), id)
		} else {
			_, err = t.exec(ctx, `UPDATE web_users SET failed_logins = ?, updated_at = ? WHERE id = ?`, n, ts(now), id)
		}
		if err != nil {
			return fmt.Errorf("store: login failed: %w", err)
		}
		return nil
	})
	return until, err
}

// LoginSucceeded clears the user's failed-login count and lockout.
func (s *Store) LoginSucceeded(ctx context.Context, id string) error {
	if _, err := s.exec(ctx, `UPDATE web_users SET failed_logins = 0, locked_until = 0 WHERE id = ?`, id); err != nil {
		return fmt.Errorf("store: login succeeded: %w", err)
	}
	return nil
}

// CreateLogin stores a new login (CreatedAt is set when zero).
func (s *Store) CreateLogin(ctx context.Context, l *Login) error {
	if l.CreatedAt.IsZero() {
		l.CreatedAt = s.now().UTC()
	}
	_, err := s.exec(ctx, `INSERT INTO web_logins (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		l.TokenHash, l.UserID, l.CSRFToken, ts(l.CreatedAt), ts(l.ExpiresAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("%w: login", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: create login: %w", err)
	}
	return nil
}

// Login returns the login with this token hash and its user, or ErrNotFound when there is
// none, it expired at now, or its user is disabled.
func (s *Store) Login(ctx context.Context, tokenHash string, now time.Time) (Login, User, error) {
	var l Login
	var created, expires int64
	err := s.queryRow(ctx, `SELECT token_hash, user_id, csrf_token, created_at, expires_at FROM web_logins WHERE token_hash = ?`, tokenHash).
		Scan(&l.TokenHash, &l.UserID, &l.CSRFToken, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return l, User{}, fmt.Errorf("%w: login", ErrNotFound)
	}
	if err != nil {
		return l, User{}, fmt.Errorf("store: login: %w", err)
	}
	l.CreatedAt, l.ExpiresAt = fromTS(created), fromTS(expires)
	if !now.Before(l.ExpiresAt) {
		return l, User{}, fmt.Errorf("%w: login expired", ErrNotFound)
	}
	u, err := s.User(ctx, l.UserID)
	if err != nil {
		return l, u, err
	}
	if u.Disabled {
		return l, u, fmt.Errorf("%w: user disabled", ErrNotFound)
	}
	return l, u, nil
}

// ExtendLogin moves a login's end to expires (sliding expiry).
func (s *Store) ExtendLogin(ctx context.Context, tokenHash string, expires time.Time) error {
	if _, err := s.exec(ctx, `UPDATE web_logins SET expires_at = ? WHERE token_hash = ?`, ts(expires), tokenHash); err != nil {
		return fmt.Errorf("store: extend login: %w", err)
	}
	return nil
}

// DeleteLogin ends a login (log out). Deleting a missing login is not an error.
func (s *Store) DeleteLogin(ctx context.Context, tokenHash string) error {
	if _, err := s.exec(ctx, `DELETE FROM web_logins WHERE token_hash = ?`, tokenHash); err != nil {
		return fmt.Errorf("store: delete login: %w", err)
	}
	return nil
}

// DeleteExpiredLogins removes logins that ended before now and returns how many.
func (s *Store) DeleteExpiredLogins(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM web_logins WHERE expires_at <= ?`, ts(now))
	if err != nil {
		return 0, fmt.Errorf("store: delete expired logins: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// SetSetting stores one named setting of a tenant (an empty value removes it).
func (s *Store) SetSetting(ctx context.Context, tenantID, name, value string) error {
	var err error
	if value == "" {
		_, err = s.exec(ctx, `DELETE FROM web_settings WHERE tenant_id = ? AND name = ?`, tenantID, name)
	} else {
		_, err = s.exec(ctx, `INSERT INTO web_settings (tenant_id, name, value, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (tenant_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			tenantID, name, value, ts(s.now()))
	}
	if err != nil {
		return fmt.Errorf("store: set setting %s: %w", name, err)
	}
	return nil
}

// Settings returns every stored setting of a tenant by name.
func (s *Store) Settings(ctx context.Context, tenantID string) (map[string]string, error) {
	rows, err := s.query(ctx, `SELECT name, value FROM web_settings WHERE tenant_id = ?`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: settings: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("store: settings: %w", err)
		}
		out[k] = v
	}
	return out, rows.Err()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

package rest

import (
	"bufio"
	"bytes"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
)

// The credentials file has one credential per line:
//
//	# KIND   NAME          ROLE      HASH
//	token    ci-deployer   operator  sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//	basic    alice         admin     pbkdf2-sha256:600000:c2FsdHNhbHRzYWx0:3q2+7w…
//
// A token is sent as "Authorization: Bearer TOKEN" and stored as the hex
// SHA-256 of the token (tokens are long and random, so a fast hash is
// enough). A basic credential is sent as "Authorization: Basic …" with NAME
// as the user and stored as PBKDF2-HMAC-SHA256 of the password. HashToken
// and HashPassword make the HASH column; `freshet connectors hash-secret`
// prints whole lines.

// PBKDF2Iterations is the work factor HashPassword uses (OWASP's 2023
// advice for PBKDF2-HMAC-SHA256).
const PBKDF2Iterations = 600_000

type credential struct {
	name string
	role Role
	// basic only
	iter      int
	salt, key []byte
}

// credentials are the parsed credentials file. They never change after
// load; only the verification cache does.
type credentials struct {
	tokens map[string]credential // by hex SHA-256 of the token
	users  map[string]credential // by user name

	mu    sync.Mutex
	cache map[[32]byte]Role // SHA-256 of "user\x00password" that verified
	slow  chan struct{}     // bounds concurrent PBKDF2 runs, so bad passwords cannot eat every core
}

func loadCredentials(path string) (*credentials, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseCredentials(b, path)
}

func parseCredentials(b []byte, path string) (*credentials, error) {
	c := &credentials{tokens: map[string]credential{}, users: map[string]credential{}, cache: map[[32]byte]Role{}, slow: make(chan struct{}, 2)}
	sc := bufio.NewScanner(bytes.NewReader(b))
	var errs []error
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := c.add(strings.Fields(line)); err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %w", path, n, err))
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 && len(c.tokens)+len(c.users) == 0 {
		errs = append(errs, fmt.Errorf("%s: no credentials: add lines \"token NAME ROLE sha256:HEX\" or \"basic NAME ROLE pbkdf2-sha256:…\"", path))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *credentials) add(f []string) error {
	if len(f) != 4 {
		return fmt.Errorf("want 4 fields (KIND NAME ROLE HASH), got %d", len(f))
	}
	role, err := ParseRole(f[2])
	if err != nil {
		return err
	}
	cr := credential{name: f[1], role: role}
	switch f[0] {
	case "token":
		h, ok := strings.CutPrefix(f[3], "sha256:")
		if b, err := hex.DecodeString(h); !ok || err != nil || len(b) != sha256.Size {
			return fmt.Errorf("token %s: hash must be sha256:<64 hex digits> (see HashToken)", f[1])
		}
		h = strings.ToLower(h)
		if _, dup := c.tokens[h]; dup {
			return fmt.Errorf("token %s: the same token is listed twice", f[1])
		}
		c.tokens[h] = cr
	case "basic":
		parts := strings.Split(f[3], ":")
		if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
			return fmt.Errorf("user %s: hash must be pbkdf2-sha256:ITERATIONS:SALT:KEY (see HashPassword)", f[1])
		}
		if cr.iter, err = strconv.Atoi(parts[1]); err != nil || cr.iter < 1 {
			return fmt.Errorf("user %s: bad iteration count %q", f[1], parts[1])
		}
		if cr.salt, err = base64.StdEncoding.DecodeString(parts[2]); err != nil || len(cr.salt) < 8 {
			return fmt.Errorf("user %s: salt must be base64 of at least 8 bytes", f[1])
		}
		if cr.key, err = base64.StdEncoding.DecodeString(parts[3]); err != nil || len(cr.key) < 16 {
			return fmt.Errorf("user %s: key must be base64 of at least 16 bytes", f[1])
		}
		if _, dup := c.users[f[1]]; dup {
			return fmt.Errorf("user %s is listed twice", f[1])
		}
		c.users[f[1]] = cr
	default:
		return fmt.Errorf("unknown kind %q (want token or basic)", f[0])
	}
	return nil
}

func errUnauthenticated(msg string) *apiError { return errorf(http.StatusUnauthorized, "%s", msg) }

// authenticate returns the role of the request's credentials, or a 401.
func (c *credentials) authenticate(r *http.Request) (Role, error) {
	h := r.Header.Get("Authorization")
	scheme, value, _ := strings.Cut(strings.TrimSpace(h), " ")
	value = strings.TrimSpace(value)
	switch {
	case h == "":
		return RoleNone, errUnauthenticated("Authentication required: send \"Authorization: Bearer TOKEN\" or basic credentials")
	case strings.EqualFold(scheme, "Bearer") && value != "":
		sum := sha256.Sum256([]byte(value))
		if cr, ok := c.tokens[hex.EncodeToString(sum[:])]; ok {
			return cr.role, nil
		}
	case strings.EqualFold(scheme, "Basic"):
		if user, pass, ok := r.BasicAuth(); ok {
			if role, ok := c.verifyPassword(user, pass); ok {
				return role, nil
			}
		}
	default:
		return RoleNone, errUnauthenticated("Unsupported authorization scheme: use Bearer or Basic")
	}
	return RoleNone, errUnauthenticated("Invalid credentials")
}

func (c *credentials) verifyPassword(user, pass string) (Role, bool) {
	cr, ok := c.users[user]
	if !ok {
		return RoleNone, false
	}
	id := sha256.Sum256([]byte(user + "\x00" + pass))
	c.mu.Lock()
	role, hit := c.cache[id]
	c.mu.Unlock()
	if hit {
		return role, true
	}
	c.slow <- struct{}{}
	key, err := pbkdf2.Key(sha256.New, pass, cr.salt, cr.iter, len(cr.key))
	<-c.slow
	if err != nil || subtle.ConstantTimeCompare(key, cr.key) != 1 {
		return RoleNone, false
	}
	c.mu.Lock()
	if len(c.cache) >= 1024 {
		clear(c.cache)
	}
	c.cache[id] = cr.role
	c.mu.Unlock()
	return cr.role, true
}

// HashToken returns the HASH column for a bearer token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// HashPassword returns the HASH column for a basic-auth password.
func HashPassword(password string) (string, error) {
	return hashPasswordIter(password, PBKDF2Iterations)
}

func hashPasswordIter(password string, iter int) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := pbkdf2.Key(sha256.New, password, salt, iter, 32)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("pbkdf2-sha256:%d:%s:%s", iter, base64.StdEncoding.EncodeToString(salt), base64.StdEncoding.EncodeToString(key)), nil
}

// NewToken returns a random bearer token (32 bytes, base64url).
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

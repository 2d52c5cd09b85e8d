package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// client talks to the REST API.
type client struct {
	base  string
	token string
	user  string
	http  *http.Client
}

func newClient(o cliOptions) (*client, error) {
	u, err := url.Parse(o.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageErr("--url %q: want http://host:port or https://host:port", o.url)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if o.cacert != "" {
		pem, err := os.ReadFile(o.cacert)
		if err != nil {
			return nil, usageErr("--cacert: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usageErr("--cacert %s: no PEM certificate in it", o.cacert)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &client{base: strings.TrimSuffix(o.url, "/"), token: o.token, user: o.user, http: &http.Client{Transport: tr, Timeout: o.timeout}}, nil
}

// apiErr is a non-2xx answer.
type apiErr struct {
	status int
	msg    string
}

// do sends a request; in (if not nil) is sent as JSON and a 2xx body is
// decoded into out (if not nil). Errors carry their exit code and a hint.
func (c *client) do(ctx context.Context, method, path string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case c.token != "":
		req.Header.Set("Authorization", "Bearer "+c.token)
	case c.user != "":
		u, p, _ := strings.Cut(c.user, ":")
		req.SetBasicAuth(u, p)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, c.unreachable(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.StatusCode, &cliError{exitUnreachable, fmt.Sprintf("reading the answer from %s: %v", c.base, err)}
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, c.httpError(method, path, resp.StatusCode, b)
	}
	if out != nil && len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, &cliError{exitFailed, fmt.Sprintf("%s %s: the answer is not the JSON expected: %v", method, path, err)}
		}
	}
	return resp.StatusCode, nil
}

func (c *client) unreachable(err error) error {
	var ne net.Error
	hint := "is the worker running? Point --url (or FRESHET_URL) at its REST listener"
	if errors.As(err, &ne) && ne.Timeout() {
		hint = "the worker did not answer in time; try --timeout 2m, or check its log"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &cliError{exitUnreachable, fmt.Sprintf("cannot reach %s: %v: %s", c.base, err, hint)}
}

// httpError turns an error answer into a message that says what to do.
func (c *client) httpError(method, path string, status int, body []byte) error {
	var eb struct {
		Code    int    `json:"error_code"`
		Message string `json:"message"`
	}
	msg := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &eb) == nil && eb.Message != "" {
		msg = eb.Message
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	code, hint := exitFailed, ""
	switch {
	case status == http.StatusNotFound:
		code, hint = exitNotFound, "freshet connectors list shows the connectors, plugins lists the plugins"
	case status == http.StatusConflict:
		code, hint = exitConflict, "update replaces an existing connector's config"
	case status == http.StatusUnauthorized:
		code, hint = exitAuth, "pass --token (or FRESHET_TOKEN), or --user USER:PASS"
	case status == http.StatusForbidden:
		code, hint = exitAuth, "your credentials' role may not do this; ask for an operator or admin token"
	case status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge || status == http.StatusUnsupportedMediaType:
		code = exitInvalid
		if strings.Contains(path, "/offsets") && strings.Contains(msg, "STOPPED") {
			hint = "run freshet connectors stop NAME first"
		}
	case status == http.StatusServiceUnavailable:
		hint = "the worker is starting; try again in a moment"
	}
	out := fmt.Sprintf("%s %s: %d %s", method, path, status, msg)
	if hint != "" {
		out += "\n  hint: " + hint
	}
	return &cliError{code, out}
}

func connPath(name string, rest ...string) string {
	p := "/connectors/" + url.PathEscape(name)
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

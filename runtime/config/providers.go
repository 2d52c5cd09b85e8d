package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Provider class names, as Kafka writes them in config.providers.<name>.class.
const (
	EnvVarProviderClass    = "org.apache.kafka.common.config.provider.EnvVarConfigProvider"
	FileProviderClass      = "org.apache.kafka.common.config.provider.FileConfigProvider"
	DirectoryProviderClass = "org.apache.kafka.common.config.provider.DirectoryConfigProvider"
)

// reference is Kafka's ConfigTransformer pattern: ${provider:[path:]key}.
var reference = regexp.MustCompile(`\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}`)

// Resolver replaces config-provider references (KIP-297) in config values:
//
//	${env:DB_PASSWORD}                          an environment variable
//	${file:/etc/secrets/db.properties:password} a key of a .properties file
//	${directory:/var/run/secrets:password}      the content of a file in a directory
//
// The provider name is whatever config.providers declares: with
//
//	config.providers=env,file,dir
//	config.providers.dir.class=org.apache.kafka.common.config.provider.DirectoryConfigProvider
//
// the reference is ${dir:/var/run/secrets:password}. The class may be Kafka's
// class name, its simple name (DirectoryConfigProvider) or a short name (env,
// file, directory, dir); when it is unset and the provider's name is a short
// name, that name is the class. Kafka's provider parameters are honoured:
// config.providers.<name>.param.allowed.paths (file and directory: a comma
// list of directories that referenced paths must lie under) and
// config.providers.<name>.param.allowlist.pattern (env: a regular expression
// variable names must match entirely).
//
// Unlike Kafka, which leaves a reference it cannot resolve in place, a
// reference to an undeclared provider or to a missing variable, file or key
// is an error. The directory provider's value is the file's content as is,
// trailing newline included, as in Kafka.
type Resolver struct {
	providers map[string]provider
	lookupEnv func(string) (string, bool)
}

type provider interface {
	// value returns the value of key at path. cache holds what one Resolve
	// call has already read, by provider-specific path.
	value(path, key string, cache map[string]map[string]string) (string, error)
}

// NewResolver builds a Resolver from the config.providers keys of worker
// props. Props without config.providers give a Resolver that resolves no
// reference (and so rejects any).
func NewResolver(props map[string]string) (*Resolver, error) {
	r := &Resolver{providers: map[string]provider{}, lookupEnv: os.LookupEnv}
	names, _ := sdk.ParseValue(sdk.TypeListConfig, props[KeyConfigProviders])
	var errs []error
	for _, name := range names.([]string) {
		p, err := r.newProvider(name, props)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.providers[name] = p
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Resolver) newProvider(name string, props map[string]string) (provider, error) {
	prefix := KeyConfigProviders + "." + name + "."
	classKey := prefix + "class"
	class, ok := props[classKey]
	class = strings.TrimSpace(class)
	if !ok || class == "" {
		class = name
	}
	param := func(p string) (string, bool) {
		v, ok := props[prefix+"param."+p]
		return v, ok
	}
	switch strings.ToLower(class) {
	case "env", strings.ToLower(EnvVarProviderClass), "envvarconfigprovider":
		p := &envProvider{lookup: func(k string) (string, bool) { return r.lookupEnv(k) }}
		if pat, ok := param("allowlist.pattern"); ok {
			re, err := regexp.Compile(`^(?:` + pat + `)$`)
			if err != nil {
				return nil, &sdk.ConfigError{Key: prefix + "param.allowlist.pattern", Message: fmt.Sprintf("Invalid value %s: not a regular expression: %v", pat, err)}
			}
			p.allow, p.pattern = re, pat
		}
		return p, nil
	case "file", strings.ToLower(FileProviderClass), "fileconfigprovider":
		allowed, err := allowedPaths(prefix, param)
		if err != nil {
			return nil, err
		}
		return &fileProvider{allowed: allowed}, nil
	case "directory", "dir", strings.ToLower(DirectoryProviderClass), "directoryconfigprovider":
		allowed, err := allowedPaths(prefix, param)
		if err != nil {
			return nil, err
		}
		return &dirProvider{allowed: allowed}, nil
	}
	if !ok {
		return nil, &sdk.ConfigError{Key: classKey, Message: fmt.Sprintf("Missing configuration %q for config provider %q: set it to %s, %s or %s", classKey, name, EnvVarProviderClass, FileProviderClass, DirectoryProviderClass)}
	}
	return nil, &sdk.ConfigError{Key: classKey, Message: fmt.Sprintf("Invalid value %s for configuration %s: unsupported config provider class; supported are %s, %s and %s (or env, file, directory)", class, classKey, EnvVarProviderClass, FileProviderClass, DirectoryProviderClass)}
}

func allowedPaths(prefix string, param func(string) (string, bool)) ([]string, error) {
	raw, ok := param("allowed.paths")
	if !ok {
		return nil, nil
	}
	list, _ := sdk.ParseValue(sdk.TypeListConfig, raw)
	var out []string
	for _, p := range list.([]string) {
		if !filepath.IsAbs(p) {
			return nil, &sdk.ConfigError{Key: prefix + "param.allowed.paths", Message: fmt.Sprintf("Invalid value %s: path %s is not absolute", raw, p)}
		}
		out = append(out, filepath.Clean(p))
	}
	return out, nil
}

// Resolve returns a copy of cfg with every reference replaced; cfg itself is
// never modified, so stored configs keep their references. Each value may
// hold several references; replaced text is not scanned again. Errors, one
// per config key and joined, are *sdk.ConfigError values naming the key and
// the reference, never a resolved value.
func (r *Resolver) Resolve(cfg map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(cfg))
	cache := map[string]map[string]string{}
	var errs []*sdk.ConfigError
	for k, v := range cfg {
		if !strings.Contains(v, "${") {
			out[k] = v
			continue
		}
		var kerrs []string
		out[k] = reference.ReplaceAllStringFunc(v, func(ref string) string {
			m := reference.FindStringSubmatch(ref)
			name, path, key := m[1], m[3], m[4]
			p, ok := r.providers[name]
			if !ok {
				kerrs = append(kerrs, fmt.Sprintf("cannot resolve %s: no config provider named %q (declare it in config.providers)", ref, name))
				return ref
			}
			val, err := p.value(path, key, cache)
			if err != nil {
				kerrs = append(kerrs, fmt.Sprintf("cannot resolve %s: %v", ref, err))
				return ref
			}
			return val
		})
		if len(kerrs) > 0 {
			errs = append(errs, &sdk.ConfigError{Key: k, Message: strings.Join(kerrs, "; ")})
		}
	}
	if len(errs) == 0 {
		return out, nil
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Key < errs[j].Key })
	joined := make([]error, len(errs))
	for i, e := range errs {
		joined[i] = e
	}
	return nil, errors.Join(joined...)
}

type envProvider struct {
	allow   *regexp.Regexp // nil: every variable
	pattern string
	lookup  func(string) (string, bool)
}

func (p *envProvider) value(path, key string, _ map[string]map[string]string) (string, error) {
	if path != "" {
		return "", errors.New("the env provider takes no path: write ${env:NAME}")
	}
	if p.allow != nil && !p.allow.MatchString(key) {
		return "", fmt.Errorf("environment variable %s is not allowed by allowlist.pattern %s", key, p.pattern)
	}
	v, ok := p.lookup(key)
	if !ok {
		return "", fmt.Errorf("environment variable %s is not set", key)
	}
	return v, nil
}

type fileProvider struct{ allowed []string }

func (p *fileProvider) value(path, key string, cache map[string]map[string]string) (string, error) {
	if path == "" {
		return "", errors.New("the file provider needs a path: write ${file:/path/to/file.properties:key}")
	}
	if err := checkAllowed(path, p.allowed); err != nil {
		return "", err
	}
	ck := "file\x00" + path
	props, ok := cache[ck]
	if !ok {
		var err error
		if props, err = LoadProperties(path); err != nil {
			return "", err
		}
		cache[ck] = props
	}
	v, ok := props[key]
	if !ok {
		return "", fmt.Errorf("no key %s in %s", key, path)
	}
	return v, nil
}

type dirProvider struct{ allowed []string }

func (p *dirProvider) value(path, key string, _ map[string]map[string]string) (string, error) {
	if path == "" {
		return "", errors.New("the directory provider needs a path: write ${directory:/path/to/dir:file}")
	}
	if err := checkAllowed(path, p.allowed); err != nil {
		return "", err
	}
	// The key names a file directly in the directory, never elsewhere.
	if key == "" || key == "." || key == ".." || strings.ContainsAny(key, `/\`) {
		return "", fmt.Errorf("%q is not a file name", key)
	}
	file := filepath.Join(path, key)
	st, err := os.Stat(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("no file %s in directory %s", key, path)
	case err != nil:
		return "", err
	case !st.Mode().IsRegular():
		return "", fmt.Errorf("%s is not a regular file", file)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// checkAllowed implements param.allowed.paths: the cleaned path must equal
// or lie under one of the allowed directories.
func checkAllowed(path string, allowed []string) error {
	if allowed == nil {
		return nil
	}
	clean := filepath.Clean(path)
	for _, a := range allowed {
		if rel, err := filepath.Rel(a, clean); err == nil && filepath.IsLocal(rel) || clean == a {
			return nil
		}
	}
	return fmt.Errorf("path %s is outside allowed.paths", path)
}

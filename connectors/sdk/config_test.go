package sdk

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func TestConfigErrors(t *testing.T) {
	err := errors.Join(
		&ConfigError{"a", "bad a"},
		fmt.Errorf("wrapped: %w", &ConfigError{"b", "bad b"}),
		errors.Join(&ConfigError{"a", "worse a"}, errors.New("not a config error")),
	)
	want := map[string][]string{"a": {"bad a", "worse a"}, "b": {"bad b"}}
	if got := ConfigErrors(err); !reflect.DeepEqual(got, want) {
		t.Fatalf("ConfigErrors = %v, want %v", got, want)
	}
	if got := ConfigErrors(nil); got != nil {
		t.Fatalf("ConfigErrors(nil) = %v, want nil", got)
	}
}

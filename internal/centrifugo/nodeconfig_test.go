package centrifugo_test

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"madang/internal/centrifugo"
)

// TestREADMEConfigIsNodeConfig: the README's one-node config.json is
// NodeConfig's, which the tests and the benchmark run: an operator who
// copies it gets the configuration that was tested.
func TestREADMEConfigIsNodeConfig(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(raw), "One node, `config.json`:\n\n```json\n")
	if !ok {
		t.Fatal("README: no one-node config.json block")
	}
	block, _, ok := strings.Cut(after, "```")
	if !ok {
		t.Fatal("README: the config.json block does not end")
	}
	var readme any
	if err := json.Unmarshal([]byte(block), &readme); err != nil {
		t.Fatalf("README's config.json: %v", err)
	}
	generated, _ := json.Marshal(centrifugo.NodeConfig(centrifugo.Node{Port: 8000, InternalPort: 9000,
		AllowedOrigins: []string{"https://madang.example.com"}, MadangURL: "http://madang:8090",
		APIKey: "API_KEY", TokenSecret: "TOKEN_SECRET"}))
	var code any
	if err := json.Unmarshal(generated, &code); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(readme, code) {
		t.Fatalf("README's config.json differs from NodeConfig's:\nREADME: %s\ncode:   %s", compact(block), generated)
	}
}

func compact(s string) string {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

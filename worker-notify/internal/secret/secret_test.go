package secret

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	const name = "MATIH_TEST_SECRET"
	os.Unsetenv(name)
	os.Unsetenv(name + "_FILE")
	if v, err := Load(name); v != "" || err != nil {
		t.Fatalf("unset: %q %v", v, err)
	}
	t.Setenv(name, " from-env \n")
	if v, _ := Load(name); v != "from-env" {
		t.Fatalf("env: %q", v)
	}
	file := filepath.Join(t.TempDir(), "s")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(name+"_FILE", file)
	if _, err := Load(name); err == nil || strings.Contains(err.Error(), "from-env") {
		t.Fatalf("both set: %v", err)
	}
	os.Unsetenv(name)
	if v, _ := Load(name); v != "from-file" {
		t.Fatalf("file: %q", v)
	}
	if err := os.WriteFile(file, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(name); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("empty file: %v", err)
	}
}

func TestRedactor(t *testing.T) {
	var r Redactor
	r.Add("hunter2-long-secret", "abc", "")
	got := r.String("auth hunter2-long-secret failed for abc")
	if got != "auth [redacted] failed for abc" {
		t.Fatalf("got %q", got)
	}
	var nilR *Redactor
	if nilR.String("x") != "x" {
		t.Fatal("nil redactor must pass text through")
	}
}

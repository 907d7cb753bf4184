package testkit

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// PinnedFixtures returns the histories of a Pinned workflow type's current fixture
// set, testdata/SET/*.json, and fails when testdata holds anything else.
//
// A Pinned run replays only the code of the build that started it, and that build
// stays up until its pinned runs drain, so the current code needs to replay only
// what the current code recorded. A change to the workflow records a new set
// beside the old one and retires the old: it is deleted, and the type's README
// says which build it belonged to. Fixtures are never rewritten in place.
func PinnedFixtures(t testing.TB, testdata, set string, atLeast int) []string {
	t.Helper()
	entries, err := os.ReadDir(testdata)
	if err != nil {
		t.Fatalf("testkit: fixtures: %v", err)
	}
	for _, e := range entries {
		if e.Name() != set {
			t.Fatalf("testkit: %s holds %s beside the current set %s: a pinned type replays only its current set; "+
				"retire the old one (delete it and name its build in the README)", testdata, e.Name(), set)
		}
	}
	files, err := filepath.Glob(filepath.Join(testdata, set, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < atLeast {
		t.Fatalf("testkit: %s holds %d histories, expected at least %d: record them with the type's record test",
			filepath.Join(testdata, set), len(files), atLeast)
	}
	sort.Strings(files)
	return files
}

// RecordPath is where a record test writes one history of a new set: a file that
// exists already fails the test, so a set is never re-recorded in place.
func RecordPath(t testing.TB, testdata, set, name string) string {
	t.Helper()
	path := filepath.Join(testdata, set, name+".json")
	if _, err := os.Stat(path); err == nil {
		t.Fatalf("testkit: %s exists: record a new set beside it instead of re-recording in place", path)
	}
	return path
}

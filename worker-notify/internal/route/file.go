package route

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/matih/ops/worker-notify/internal/channel"
)

// file is the YAML routing file:
//
//	critical_below: 0.5
//	routes:
//	  info: [slack]
//	  warning: [slack, email]
//	  critical: [pagerduty, slack]
//	pipelines:
//	  daily-sales:
//	    critical_below: 0.8
//	    routes:
//	      critical: [pagerduty, email]
type file struct {
	CriticalBelow *float64                `yaml:"critical_below"`
	Routes        map[string][]string     `yaml:"routes"`
	Pipelines     map[string]fileOverride `yaml:"pipelines"`
}

type fileOverride struct {
	CriticalBelow *float64            `yaml:"critical_below"`
	Routes        map[string][]string `yaml:"routes"`
}

var pipelineIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// unknownFieldRe rewrites yaml's "field x not found in type route.file".
var unknownFieldRe = regexp.MustCompile(`field (\S+) not found in type (\S+)`)

// Load reads and validates a routing file. Severities the file does not route keep the
// default routes restricted to the configured channels; a channel the file names must
// be configured. Errors name the file and the bad key.
func Load(path string, configured map[string]bool) (Routing, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Routing{}, fmt.Errorf("routing file: %w", err)
	}
	r, err := Parse(data, configured)
	if err != nil {
		return Routing{}, fmt.Errorf("routing file %s: %w", path, err)
	}
	return r, nil
}

// Parse validates a routing document; see Load.
func Parse(data []byte, configured map[string]bool) (Routing, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return Routing{}, yamlError(err)
	}
	r := Default(configured)
	if f.CriticalBelow != nil {
		if err := checkScore("critical_below", *f.CriticalBelow); err != nil {
			return Routing{}, err
		}
		r.CriticalBelow = *f.CriticalBelow
	}
	routes, err := checkRoutes("routes", f.Routes, configured)
	if err != nil {
		return Routing{}, err
	}
	for sev, chans := range routes {
		r.Routes[sev] = chans
	}
	r.Pipelines = map[string]Override{}
	for _, id := range sortedKeys(f.Pipelines) {
		o := f.Pipelines[id]
		prefix := "pipelines." + id
		if !pipelineIDRe.MatchString(id) {
			return Routing{}, fmt.Errorf("%s: a pipeline id of letters, digits, '.', '_' or '-' expected", prefix)
		}
		if o.CriticalBelow != nil {
			if err := checkScore(prefix+".critical_below", *o.CriticalBelow); err != nil {
				return Routing{}, err
			}
		}
		routes, err := checkRoutes(prefix+".routes", o.Routes, configured)
		if err != nil {
			return Routing{}, err
		}
		r.Pipelines[id] = Override{Routes: routes, CriticalBelow: o.CriticalBelow}
	}
	return r, nil
}

// yamlError rewrites the decoder's message so it names the bad key plainly.
func yamlError(err error) error {
	msg := unknownFieldRe.ReplaceAllStringFunc(err.Error(), func(m string) string {
		sub := unknownFieldRe.FindStringSubmatch(m)
		expected := "critical_below, routes or pipelines"
		if strings.HasSuffix(sub[2], "fileOverride") {
			expected = "critical_below or routes"
		}
		return fmt.Sprintf("unknown key %q (expected %s)", sub[1], expected)
	})
	msg = strings.NewReplacer(" into route.fileOverride", " into a pipeline override (critical_below, routes)",
		" into route.file", " into the routing document (critical_below, routes, pipelines)").Replace(msg)
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	return errors.New(strings.Join(strings.Fields(msg), " "))
}

func checkScore(key string, v float64) error {
	if !(v >= 0 && v <= 1) {
		return fmt.Errorf("%s: a quality score in [0,1] expected, got %v", key, v)
	}
	return nil
}

// checkRoutes validates severity keys and channel lists under prefix.
func checkRoutes(prefix string, routes map[string][]string, configured map[string]bool) (map[string][]string, error) {
	out := map[string][]string{}
	for _, sev := range sortedKeys(routes) {
		key := prefix + "." + sev
		if !ValidSeverity(sev) {
			return nil, fmt.Errorf("%s: unknown severity %q (expected %s)", key, sev, strings.Join(Severities, ", "))
		}
		chans := []string{}
		for i, c := range routes[sev] {
			ckey := fmt.Sprintf("%s[%d]", key, i)
			switch {
			case !channel.Known(c):
				return nil, fmt.Errorf("%s: unknown channel %q (expected one of %s)", ckey, c, strings.Join(channel.Names, ", "))
			case slices.Contains(chans, c):
				return nil, fmt.Errorf("%s: channel %q listed twice", ckey, c)
			case c == channel.Outbox:
				// The outbox records every notification anyway.
			case !configured[c]:
				return nil, fmt.Errorf("%s: channel %q is not configured on this worker (%s)", ckey, c, Hint(c))
			}
			chans = append(chans, c)
		}
		out[sev] = slices.DeleteFunc(chans, func(c string) bool { return c == channel.Outbox })
	}
	return out, nil
}

// Hint says how to configure a channel.
func Hint(c string) string {
	switch c {
	case channel.Slack:
		return "set MATIH_SLACK_WEBHOOK_URL or MATIH_SLACK_WEBHOOK_URL_FILE"
	case channel.Email:
		return "set --smtp-host, --smtp-from and --smtp-to (password in MATIH_SMTP_PASSWORD or MATIH_SMTP_PASSWORD_FILE)"
	case channel.PagerDuty:
		return "set MATIH_PAGERDUTY_ROUTING_KEY or MATIH_PAGERDUTY_ROUTING_KEY_FILE"
	}
	return "always on"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/matih/ops/shared/testkit"
)

// usage is one reading of a process: resident memory, goroutines (-1 when the
// process does not export them) and open descriptors, with their kinds when the
// process's pid is known.
type usage struct {
	rss        int64
	goroutines int
	fds        int
	kinds      map[string]int
}

// probe reads one process.
type probe struct {
	name string
	read func() (usage, error)
}

// sample is every probe's reading at one moment; a process that could not be read
// is missing from it.
type sample struct {
	at     time.Time
	usages map[string]usage
}

// metricsProbe reads what a process exports on /metrics: the Go collector's
// goroutines and the process collector's memory and descriptors, as Prometheus
// would scrape them.
func metricsProbe(name, addr string) probe {
	return probe{name: name, read: func() (usage, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return usage{}, err
		}
		defer resp.Body.Close()
		var u usage
		seen := 0
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			name, value, ok := strings.Cut(sc.Text(), " ")
			if !ok {
				continue
			}
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				continue
			}
			switch name {
			case "go_goroutines":
				u.goroutines, seen = int(v), seen+1
			case "process_resident_memory_bytes":
				u.rss, seen = int64(v), seen+1
			case "process_open_fds":
				u.fds, seen = int(v), seen+1
			}
		}
		if seen != 3 {
			return usage{}, fmt.Errorf("%s/metrics: %d of the 3 series", addr, seen)
		}
		return u, sc.Err()
	}}
}

// probes are the fleet's processes, by name and number.
func (f *fleet) probes() []probe {
	var out []probe
	for i, addr := range f.addrs {
		p, pid := metricsProbe(fmt.Sprintf("%s %d", f.name, i+1), addr), f.procs[i].Pid()
		read := p.read
		p.read = func() (usage, error) {
			u, err := read()
			u.kinds = fdKinds(pid)
			return u, err
		}
		out = append(out, p)
	}
	return out
}

// probe reads the console from /proc: it serves no metrics.
func (s *soakConsole) probe() probe {
	return probe{name: "console", read: func() (usage, error) {
		rss, _, err := testkit.ReadResident(s.pid)
		if err != nil {
			return usage{}, err
		}
		fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", s.pid))
		return usage{rss: rss, goroutines: -1, fds: len(fds), kinds: fdKinds(s.pid)}, err
	}}
}

// sampleUntil reads every probe each interval until ctx ends, then sends what it
// read.
func sampleUntil(ctx context.Context, probes []probe, every time.Duration) <-chan []sample {
	out := make(chan []sample, 1)
	go func() {
		var all []sample
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				out <- all
				return
			case <-tick.C:
			}
			s := sample{at: time.Now(), usages: map[string]usage{}}
			for _, p := range probes {
				if u, err := p.read(); err == nil {
					s.usages[p.name] = u
				}
			}
			all = append(all, s)
		}
	}()
	return out
}

// apiClient polls matih serve as a dashboard would: every 2 s the list of the
// latest runs, then the status of the newest, timing the status read.
func (l *soakLoad) apiClient(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
		var page struct {
			Workflows []struct {
				WorkflowID string `json:"workflowId"`
			} `json:"workflows"`
		}
		if err := getJSON(ctx, "http://"+l.api+"/v1/pipelines/workflows?pageSize=20", &page); err != nil || len(page.Workflows) == 0 {
			l.countAPIError(ctx, err)
			continue
		}
		sent := time.Now()
		var doc map[string]any
		err := getJSON(ctx, "http://"+l.api+"/v1/pipelines/workflows/"+url.PathEscape(page.Workflows[0].WorkflowID)+"/status", &doc)
		if err != nil {
			l.countAPIError(ctx, err)
			continue
		}
		l.mu.Lock()
		l.statusTimes = append(l.statusTimes, timed{sent, time.Since(sent)})
		l.mu.Unlock()
	}
}

func (l *soakLoad) countAPIError(ctx context.Context, err error) {
	if err != nil && ctx.Err() == nil {
		l.mu.Lock()
		l.apiErrors++
		l.mu.Unlock()
	}
}

func getJSON(ctx context.Context, u string, into any) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(into)
}

package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/matih/ops/shared/contract"
)

// pipelineDir is the --pipelines directory: the definitions execute may start, by
// pipeline_id. Each file goes through BuildStart, the same decoding and checks as
// `matih start pipeline -f`, when the server starts, so a bad file stops it there.
type pipelineDir struct {
	byID map[string]pipelineDef
}

type pipelineDef struct {
	cfg  contract.PipelineConfig
	file string
}

// loadPipelines reads every .yaml, .yml and .json file of dir.
func loadPipelines(dir string) (*pipelineDir, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, usagef("--pipelines: %v", err)
	}
	p := &pipelineDir{byID: map[string]pipelineDef{}}
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
			continue
		}
		file := filepath.Join(dir, e.Name())
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, usagef("--pipelines: %v", err)
		}
		req, err := BuildStart("pipeline", file, raw, time.Now())
		if err != nil {
			return nil, err
		}
		cfg := req.Input.(contract.PipelineConfig)
		if prev, ok := p.byID[cfg.PipelineID]; ok {
			return nil, usagef("--pipelines: pipeline_id %q is defined by both %s and %s", cfg.PipelineID, prev.file, file)
		}
		p.byID[cfg.PipelineID] = pipelineDef{cfg: cfg, file: file}
	}
	return p, nil
}

// Lookup implements api.Pipelines.
func (p *pipelineDir) Lookup(id string) (contract.PipelineConfig, string, bool) {
	d, ok := p.byID[id]
	return d.cfg, d.file, ok
}

// IDs lists the pipeline ids, for the start message.
func (p *pipelineDir) IDs() []string {
	ids := make([]string, 0, len(p.byID))
	for id := range p.byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func (p *pipelineDir) String() string {
	return fmt.Sprintf("%d pipelines (%s)", len(p.byID), strings.Join(p.IDs(), ", "))
}

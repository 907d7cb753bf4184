package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/tui/internal/api"
	"github.com/matih/ops/tui/internal/data"
)

func (a *App) startCmd() *cobra.Command {
	var file, conns string
	cmd := &cobra.Command{Use: "start pipeline|backfill|migration|maintenance -f config.yaml", Short: "validate a config and start the workflow; prints its id",
		ValidArgs: []string{"pipeline", "backfill", "migration", "maintenance"},
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("start needs one kind: pipeline, backfill, migration or maintenance")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if file == "" {
				return usagef("-f/--file is required")
			}
			raw, err := readConfig(file)
			if err != nil {
				return err
			}
			req, err := BuildStart(args[0], file, raw, time.Now())
			if err != nil {
				return err
			}
			known, err := loadConnections(conns)
			if err != nil {
				return err
			}
			if err := known.RequireKnown(req.Input); err != nil {
				return usagef("%s: %v", file, err)
			}
			groups, err := a.groups()
			if err != nil {
				return err
			}
			if req, err = api.StartedBy(req, a.Identity, groups); err != nil {
				return usagef("%s: %v", file, err)
			}
			err = a.act(cmd.Context(), "start "+args[0], req.WorkflowID, file, func(s data.Source) error {
				_, err := s.Start(cmd.Context(), req)
				return err
			})
			if err != nil {
				return err
			}
			if a.Output == "json" {
				return a.json(map[string]string{"workflowId": req.WorkflowID, "workflowType": req.WorkflowType, "taskQueue": req.TaskQueue})
			}
			fmt.Fprintln(a.Out, req.WorkflowID)
			return nil
		}}
	cmd.Flags().StringVarP(&file, "file", "f", "", "config file, YAML or JSON (required)")
	connectionsFlag(cmd.Flags(), &conns)
	return cmd
}

// MaxConfigBytes is the largest config file start reads: what the Pipeline Service
// API takes as a body.
const MaxConfigBytes = api.MaxBodyBytes

// readConfig reads the -f file; one that cannot be read, or is larger than
// MaxConfigBytes, is a usage error naming the flag.
func readConfig(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, usagef("-f/--file: %v", err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, MaxConfigBytes+1))
	if err != nil {
		return nil, usagef("-f/--file: %v", err)
	}
	if len(raw) > MaxConfigBytes {
		return nil, usagef("-f/--file %s: expected a config of at most %d bytes, got more", file, MaxConfigBytes)
	}
	return raw, nil
}

// BuildStart decodes and validates a config of the given kind and names the workflow.
// A bad config is a usage error naming the field; nothing is started.
func BuildStart(kind, name string, raw []byte, now time.Time) (data.StartRequest, error) {
	js, err := toJSON(name, raw)
	if err != nil {
		return data.StartRequest{}, usagef("%s: %v", name, err)
	}
	var (
		req   data.StartRequest
		input interface{ Validate() error }
	)
	switch kind {
	case "pipeline":
		var c contract.PipelineConfig
		err = decodeStrict(js, &c)
		req = api.PipelineStart(c, now)
		input = c
	case "backfill":
		var c contract.BackfillConfig
		err = decodeStrict(js, &c)
		req = api.BackfillStart(c, now)
		input = c
	case "migration":
		var c contract.MigrationConfig
		err = decodeStrict(js, &c)
		req = api.MigrationStart(c)
		input = c
	case "maintenance":
		var c contract.MaintenanceConfig
		err = decodeStrict(js, &c)
		req = api.MaintenanceStart(c, now)
		input = c
	default:
		return req, usagef("start: expected pipeline, backfill, migration or maintenance, got %q", kind)
	}
	if err != nil {
		return req, usagef("%s: %v", name, err)
	}
	if err := input.Validate(); err != nil {
		return req, usagef("%s: %v", name, err)
	}
	if err := requireConnection(req.Input); err != nil {
		return req, usagef("%s: %v", name, err)
	}
	return req, nil
}

// requireConnection refuses early what the workers would refuse: a source or a
// migration target given as a DSN or a file instead of a connection they define.
func requireConnection(input any) error {
	switch c := input.(type) {
	case contract.PipelineConfig:
		return c.Source.RequireConnection("source")
	case contract.BackfillConfig:
		return c.Source.RequireConnection("source")
	case contract.MigrationConfig:
		return c.RequireConnection()
	}
	return nil
}

// toJSON accepts JSON as is and converts YAML to JSON, so both go through the
// contract's JSON decoding (durations such as "4h" included).
func toJSON(name string, raw []byte) ([]byte, error) {
	ext := strings.ToLower(filepath.Ext(name))
	trimmed := bytes.TrimSpace(raw)
	if ext == ".json" || (ext != ".yaml" && ext != ".yml" && len(trimmed) > 0 && trimmed[0] == '{') {
		return raw, nil
	}
	var v any
	if err := yaml.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	return json.Marshal(v)
}

// decodeStrict decodes as the Pipeline Service API decodes a body: unknown fields
// and wrong types refused, each error naming the field.
func decodeStrict(js []byte, v any) error {
	if err := api.DecodeStrict(js, "", v); err != nil {
		return fmt.Errorf("not a valid config: %w", err)
	}
	return nil
}

package cli

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/tui/internal/api"
	"github.com/matih/ops/tui/internal/audit"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/slackapprove"
)

// The Slack app's secrets, each also readable from a file named by NAME_FILE.
const (
	envSlackSigningSecret = "MATIH_SLACK_SIGNING_SECRET"
	envSlackBotToken      = "MATIH_SLACK_BOT_TOKEN"
)

type slackFlags struct {
	users  string
	apiURL string
}

func (f *slackFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.users, "slack-users", "", "YAML file mapping Slack user ids to identities and scopes; with "+envSlackSigningSecret+" and "+envSlackBotToken+" (or *_FILE), serves "+slackapprove.Path)
	fl.StringVar(&f.apiURL, "slack-api-url", "https://slack.com/api/", "Slack Web API base URL")
}

// secretEnv reads NAME, or the file NAME_FILE names; setting both is an error.
func secretEnv(name string) (string, error) {
	v, file := os.Getenv(name), os.Getenv(name+"_FILE")
	switch {
	case v != "" && file != "":
		return "", fmt.Errorf("%s and %s_FILE are both set: set one", name, name)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, err)
		}
		v = strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("%s_FILE: %s is empty", name, file)
		}
	}
	return v, nil
}

// slackHandler builds the interactivity route when --slack-users is given; nil
// otherwise. Decisions go through the same backend as the API's, as the mapped person.
func (a *App) slackHandler(f slackFlags, opts api.Options, backend api.Backend) (*slackapprove.Handler, error) {
	if f.users == "" {
		return nil, nil
	}
	if a.ReadOnly {
		return nil, fmt.Errorf("--slack-users: a --read-only server takes no decisions; drop one of the two")
	}
	users, err := slackapprove.LoadUsers(f.users)
	if err != nil {
		return nil, err
	}
	secret, err := secretEnv(envSlackSigningSecret)
	if err != nil {
		return nil, err
	}
	token, err := secretEnv(envSlackBotToken)
	if err != nil {
		return nil, err
	}
	if secret == "" || token == "" {
		return nil, fmt.Errorf("--slack-users: set %s and %s (or their _FILE forms) too", envSlackSigningSecret, envSlackBotToken)
	}
	log := &audit.Log{Path: a.AuditPath}
	return slackapprove.New(slackapprove.Options{
		SigningSecret: secret, Token: token, APIURL: f.apiURL, Users: users, Logger: opts.Logger,
		Decide: func(ctx context.Context, identity, workflowID, requestID string, d contract.ApprovalSignal) error {
			return backend.Approve(data.WithUpdateID(ctx, requestID), identity, workflowID, d)
		},
		Decided: func(ctx context.Context, workflowID string) (string, error) {
			doc, err := backend.Status(ctx, workflowID, "")
			if err != nil || doc.Approval == nil || !doc.Approval.Decided {
				return "", err
			}
			verb := "rejected"
			if doc.Approval.Approved {
				verb = "approved"
			}
			return fmt.Sprintf("%s (%s)", doc.Approval.Approver, verb), nil
		},
		Audit: func(e slackapprove.Event) {
			if err := log.Append(audit.Entry{Identity: e.Identity, Action: e.Action, Workflow: e.Workflow, Reason: e.Reason, Outcome: audit.Outcome(e.Err)}); err != nil {
				opts.Logger.Warn("audit log", "err", err, "action", e.Action)
			}
		},
	})
}

// withSlack serves the Slack route beside the API.
func withSlack(apiHandler http.Handler, slack *slackapprove.Handler) http.Handler {
	if slack == nil {
		return apiHandler
	}
	mux := http.NewServeMux()
	mux.Handle(slackapprove.Path, slack)
	mux.Handle("/", apiHandler)
	return mux
}

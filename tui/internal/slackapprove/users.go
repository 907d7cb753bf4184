package slackapprove

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// ScopeApprove is the scope a Slack user needs to decide an approval gate, as a
// token needs it on the API.
const ScopeApprove = "approve"

// User is who a Slack user id is to MATIH: the identity recorded as approver, and
// what they may do.
type User struct {
	Slack    string   `yaml:"slack"`
	Identity string   `yaml:"identity"`
	Scopes   []string `yaml:"scopes"`
}

// Users maps Slack user ids to people. Only the server's file says who someone is:
// a Slack user id comes in a signed request, a name typed in Slack counts for nothing.
type Users map[string]User

var slackUserID = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)

// LoadUsers reads the users file: users: [{slack: U0123, identity: ana@matih,
// scopes: [read, approve]}].
func LoadUsers(path string) (Users, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--slack-users: %w", err)
	}
	var doc struct {
		Users []User `yaml:"users"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("--slack-users %s: %w", path, err)
	}
	out := Users{}
	for i, u := range doc.Users {
		where := fmt.Sprintf("--slack-users %s: users[%d]", path, i)
		switch {
		case !slackUserID.MatchString(u.Slack):
			return nil, fmt.Errorf("%s.slack: expected a Slack user id such as U0123ABCD, got %q", where, u.Slack)
		case strings.TrimSpace(u.Identity) == "" || strings.ContainsAny(u.Identity, "()\n"):
			return nil, fmt.Errorf("%s.identity: expected the person's MATIH identity (as in approvers), got %q", where, u.Identity)
		case out[u.Slack].Slack != "":
			return nil, fmt.Errorf("%s.slack: %s is listed twice", where, u.Slack)
		}
		for _, s := range u.Scopes {
			if !slices.Contains([]string{"read", ScopeApprove}, s) {
				return nil, fmt.Errorf("%s.scopes: expected read or approve, got %q", where, s)
			}
		}
		out[u.Slack] = u
	}
	return out, nil
}

// May says whether the Slack user may decide, and if not, what to tell them.
func (us Users) May(slackID string) (User, string) {
	u, ok := us[slackID]
	switch {
	case !ok:
		return User{}, fmt.Sprintf("Your Slack account (%s) is not linked to a MATIH identity, so nothing was sent. Ask an operator to add you to the Slack users file of matih serve.", slackID)
	case !slices.Contains(u.Scopes, ScopeApprove):
		return User{}, fmt.Sprintf("%s may not decide approvals from Slack (scopes: %s), so nothing was sent.", u.Identity, strings.Join(u.Scopes, ", "))
	}
	return u, ""
}

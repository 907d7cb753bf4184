package api

import (
	"fmt"
	"slices"
	"strings"
)

// Scope is one thing a token may do. A token names its scopes, or a role that stands
// for a set of them, so a pipeline service's token can start pipelines without also
// being able to migrate schemas or cancel anything.
type Scope string

// The scopes. Each route needs one (the OpenAPI document names it as x-scope).
const (
	ScopeNone     Scope = ""
	ScopeRead     Scope = "read"     // every GET, and decoding payloads
	ScopeExecute  Scope = "execute"  // start a pipeline from its definition; encode payloads
	ScopeApprove  Scope = "approve"  // the approval decision
	ScopeCancel   Scope = "cancel"   // cancel a pipeline, backfill, migration or maintenance run
	ScopeBackfill Scope = "backfill" // start a backfill
	ScopeMigrate  Scope = "migrate"  // start a schema migration
	// ScopeOverrideQuality lets an execute lower the definition's quality bar.
	ScopeOverrideQuality Scope = "override-quality"
	// scopeSignal is the signal route's: approve or cancel, told apart by the body.
	scopeSignal Scope = "approve|cancel"
)

var allScopes = []Scope{ScopeRead, ScopeExecute, ScopeApprove, ScopeCancel, ScopeBackfill, ScopeMigrate, ScopeOverrideQuality}

// roleScopes is what the roles of earlier tokens files stand for, so those files
// keep working: operate is every scope but override-quality, which is new.
var roleScopes = map[Role][]Scope{
	RoleRead:    {ScopeRead},
	RoleOperate: {ScopeRead, ScopeExecute, ScopeApprove, ScopeCancel, ScopeBackfill, ScopeMigrate},
}

// scopesOf checks a token's role and scopes and returns the set they grant.
func scopesOf(at string, role Role, scopes []Scope) (map[Scope]bool, error) {
	out := map[Scope]bool{}
	if role != RoleNone {
		granted, ok := roleScopes[role]
		if !ok {
			return nil, fmt.Errorf("%s.role: expected read or operate, got %q", at, role)
		}
		for _, s := range granted {
			out[s] = true
		}
	}
	for j, s := range scopes {
		if !slices.Contains(allScopes, s) {
			return nil, fmt.Errorf("%s.scopes[%d]: expected one of %s, got %q", at, j, joinScopes(allScopes), s)
		}
		out[s] = true
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no role and no scopes: give role: read|operate, or scopes: [%s]", at, joinScopes(allScopes))
	}
	return out, nil
}

func joinScopes(ss []Scope) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, ", ")
}

// Has tells whether the caller holds scope s.
func (c Caller) Has(s Scope) bool {
	if s == scopeSignal {
		return c.scopes[ScopeApprove] || c.scopes[ScopeCancel]
	}
	return s == ScopeNone || c.scopes[s]
}

// scopeList is the caller's scopes, for messages.
func (c Caller) scopeList() string {
	var have []Scope
	for _, s := range allScopes {
		if c.scopes[s] {
			have = append(have, s)
		}
	}
	return joinScopes(have)
}

// Package ddlcheck decides, from PostgreSQL's own grammar, whether a migration
// statement may run: it parses the statement with libpg_query (compiled to
// WebAssembly, so the worker stays a static binary) and allows, by parse tree, only
// the kinds of statement a migration of one table needs, calling only functions
// that read no state beyond their arguments. It reads no database: the caller
// resolves the relations it returns, so a statement touching anything but the
// declared table is refused there.
package ddlcheck

import (
	"fmt"
	"runtime/debug"
	"strings"
	"sync"

	pg "github.com/pganalyze/pg_query_go/v6"
	pgquery "github.com/wasilibs/go-pgquery"
)

// Policy is what the migration's connection allows beyond the default.
type Policy struct {
	ForeignKeys bool // REFERENCES to other tables (they lock the referenced table)
	RowSecurity bool // ENABLE/DISABLE/FORCE ROW LEVEL SECURITY
	Triggers    bool // ENABLE/DISABLE TRIGGER
	// Functions are allowed beyond the built-ins, by name ("name" or "schema.name").
	Functions []string
}

// Statement is what a checked statement changes and reads.
type Statement struct {
	// Kind is the statement as a person names it: ALTER TABLE, CREATE INDEX ...
	Kind string
	// Table is the table it changes, as a quoted name for to_regclass; empty for
	// DROP INDEX, which names Index instead.
	Table string
	Index string
	// Relations are the other tables it names (a subquery's FROM): each must be
	// the declared table. References are a foreign key's tables, which Policy allowed.
	Relations  []string
	References []string
}

// Refusal is why a statement may not run; the caller names the statement.
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return r.Reason }

func refuse(format string, args ...any) error { return &Refusal{Reason: fmt.Sprintf(format, args...)} }

// parseMu keeps parses one at a time, so a process holds one parser instance: each
// instance compiles the WebAssembly module anew (about 1.5 s and 250 MB of garbage),
// while a parse itself takes well under a millisecond.
var (
	parseMu   sync.Mutex
	firstOnce sync.Once
)

// parse parses sql with the process's one parser. After the first parse, which
// compiled it, the compiler's garbage goes back to the operating system at once
// rather than at the next collection, so the worker's resident memory falls back.
func parse(sql string) (*pg.ParseResult, error) {
	parseMu.Lock()
	defer parseMu.Unlock()
	tree, err := pgquery.Parse(sql)
	firstOnce.Do(debug.FreeOSMemory)
	return tree, err
}

// Check parses one statement and refuses what a migration may not do.
func Check(sql string, p Policy) (Statement, error) {
	tree, err := parse(sql)
	if err != nil {
		return Statement{}, refuse("PostgreSQL cannot parse it: %v", err)
	}
	stmts := tree.GetStmts()
	switch {
	case len(stmts) == 0:
		return Statement{}, refuse("a statement, got none")
	case len(stmts) > 1:
		return Statement{}, refuse("one statement per entry, got %d", len(stmts))
	}
	node := stmts[0].GetStmt()
	st, err := classify(node, p)
	if err != nil {
		return st, err
	}
	w := walker{policy: p}
	w.node(node)
	if w.err != nil {
		return st, w.err
	}
	st.Relations, st.References = w.relations, w.references
	return st, nil
}

// classify allows a statement kind and finds its table.
func classify(n *pg.Node, p Policy) (Statement, error) {
	switch s := n.GetNode().(type) {
	case *pg.Node_AlterTableStmt:
		a := s.AlterTableStmt
		if a.GetObjtype() != pg.ObjectType_OBJECT_TABLE {
			return Statement{}, refuse("ALTER TABLE only, got ALTER %s", objectWord(a.GetObjtype()))
		}
		for _, c := range a.GetCmds() {
			if err := alterAllowed(c.GetAlterTableCmd(), p); err != nil {
				return Statement{}, err
			}
		}
		return Statement{Kind: "ALTER TABLE", Table: relName(a.GetRelation())}, nil
	case *pg.Node_IndexStmt:
		if s.IndexStmt.GetConcurrent() {
			return Statement{}, refuse("no CREATE INDEX CONCURRENTLY: the migration runs in one transaction")
		}
		return Statement{Kind: "CREATE INDEX", Table: relName(s.IndexStmt.GetRelation())}, nil
	case *pg.Node_DropStmt:
		return classifyDrop(s.DropStmt)
	case *pg.Node_RenameStmt:
		r := s.RenameStmt
		switch r.GetRenameType() {
		case pg.ObjectType_OBJECT_COLUMN, pg.ObjectType_OBJECT_TABCONSTRAINT:
			return Statement{Kind: "ALTER TABLE RENAME", Table: relName(r.GetRelation())}, nil
		case pg.ObjectType_OBJECT_TABLE:
			return Statement{}, refuse("no RENAME TO of the table itself: backup and restore follow its name")
		}
		return Statement{}, refuse("renames of columns and constraints only, got a rename of %s", objectWord(r.GetRenameType()))
	case *pg.Node_AlterObjectSchemaStmt:
		return Statement{}, refuse("no SET SCHEMA: backup and restore follow the table's name")
	case *pg.Node_CommentStmt:
		return classifyComment(s.CommentStmt)
	case *pg.Node_UpdateStmt:
		u := s.UpdateStmt
		switch {
		case u.GetWithClause() != nil:
			return Statement{}, refuse("UPDATE without WITH: a migration reads only its table")
		case len(u.GetFromClause()) > 0:
			return Statement{}, refuse("UPDATE without FROM: a migration reads only its table")
		case len(u.GetReturningList()) > 0:
			return Statement{}, refuse("UPDATE without RETURNING: nothing reads its rows")
		}
		return Statement{Kind: "UPDATE", Table: relName(u.GetRelation())}, nil
	}
	return Statement{}, refuse("ALTER TABLE, CREATE [UNIQUE] INDEX, DROP INDEX, COMMENT ON TABLE/COLUMN or UPDATE on the declared table, got %s", kindWord(n))
}

func classifyDrop(d *pg.DropStmt) (Statement, error) {
	if d.GetRemoveType() != pg.ObjectType_OBJECT_INDEX {
		return Statement{}, refuse("DROP INDEX only, got DROP %s", objectWord(d.GetRemoveType()))
	}
	if d.GetConcurrent() {
		return Statement{}, refuse("no DROP INDEX CONCURRENTLY: the migration runs in one transaction")
	}
	if d.GetBehavior() == pg.DropBehavior_DROP_CASCADE {
		return Statement{}, refuse("no CASCADE: a migration drops only what it names")
	}
	if len(d.GetObjects()) != 1 {
		return Statement{}, refuse("one index per DROP INDEX, got %d", len(d.GetObjects()))
	}
	return Statement{Kind: "DROP INDEX", Index: qualified(d.GetObjects()[0].GetList().GetItems())}, nil
}

func classifyComment(c *pg.CommentStmt) (Statement, error) {
	items := c.GetObject().GetList().GetItems()
	switch c.GetObjtype() {
	case pg.ObjectType_OBJECT_TABLE:
		return Statement{Kind: "COMMENT ON TABLE", Table: qualified(items)}, nil
	case pg.ObjectType_OBJECT_COLUMN:
		if len(items) < 2 {
			return Statement{}, refuse("COMMENT ON COLUMN table.column")
		}
		return Statement{Kind: "COMMENT ON COLUMN", Table: qualified(items[:len(items)-1])}, nil
	}
	return Statement{}, refuse("COMMENT ON TABLE or COLUMN only, got COMMENT ON %s", objectWord(c.GetObjtype()))
}

// relName is a RangeVar as a quoted name for to_regclass.
func relName(r *pg.RangeVar) string {
	if r == nil {
		return ""
	}
	if r.GetSchemaname() != "" {
		return quote(r.GetSchemaname()) + "." + quote(r.GetRelname())
	}
	return quote(r.GetRelname())
}

// qualified is a list of String nodes (schema, name) as a quoted name.
func qualified(items []*pg.Node) string {
	parts := make([]string, 0, len(items))
	for _, it := range items {
		parts = append(parts, quote(it.GetString_().GetSval()))
	}
	return strings.Join(parts, ".")
}

func quote(ident string) string { return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"` }

// kindWord names a statement node: SelectStmt is "SELECT", CreateFunctionStmt
// "CREATE FUNCTION".
func kindWord(n *pg.Node) string {
	name := fmt.Sprintf("%T", n.GetNode()) // *pg_query.Node_SelectStmt
	name = name[strings.LastIndex(name, "_")+1:]
	return words(strings.TrimSuffix(name, "Stmt"))
}

// objectWord names an object type: OBJECT_MATVIEW is "MATVIEW".
func objectWord(t pg.ObjectType) string {
	return strings.ReplaceAll(strings.TrimPrefix(t.String(), "OBJECT_"), "_", " ")
}

// words splits CamelCase into upper-case words.
func words(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

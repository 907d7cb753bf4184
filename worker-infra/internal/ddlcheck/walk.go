package ddlcheck

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// walker visits every node of a statement: each function call must be allowed,
// each table it names is collected for the caller to resolve.
type walker struct {
	policy     Policy
	relations  []string
	references []string
	err        error
}

func (w *walker) node(n *pg.Node) {
	if n != nil {
		w.message(n.ProtoReflect())
	}
}

func (w *walker) message(m protoreflect.Message) {
	if w.err != nil || !m.IsValid() {
		return
	}
	switch v := m.Interface().(type) {
	case *pg.FuncCall:
		if err := functionAllowed(v.GetFuncname(), w.policy.Functions); err != nil {
			w.err = err
			return
		}
	case *pg.Constraint:
		if v.GetContype() == pg.ConstrType_CONSTR_FOREIGN {
			if !w.policy.ForeignKeys {
				w.err = refuse("no FOREIGN KEY / REFERENCES: it locks and ties the table to %s; the connection's migrate.foreign_keys allows it", relName(v.GetPktable()))
				return
			}
			w.references = append(w.references, relName(v.GetPktable()))
			for _, n := range v.GetFkAttrs() {
				w.node(n)
			}
			return // its pktable is a reference, not a relation the statement reads
		}
	case *pg.RangeVar:
		w.relations = append(w.relations, relName(v))
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				w.message(l.Get(i).Message())
			}
		case fd.Message() != nil && !fd.IsMap():
			w.message(v.Message())
		}
		return w.err == nil
	})
}

// alterAllowed refuses an ALTER TABLE sub-command a migration of one table does not
// need, or one the connection's policy has not allowed.
func alterAllowed(c *pg.AlterTableCmd, p Policy) error {
	t := c.GetSubtype()
	switch t {
	case pg.AlterTableType_AT_AddColumn, pg.AlterTableType_AT_ColumnDefault, pg.AlterTableType_AT_DropNotNull,
		pg.AlterTableType_AT_SetNotNull, pg.AlterTableType_AT_DropColumn, pg.AlterTableType_AT_AlterColumnType,
		pg.AlterTableType_AT_AddConstraint, pg.AlterTableType_AT_DropConstraint, pg.AlterTableType_AT_ValidateConstraint,
		pg.AlterTableType_AT_AlterConstraint, pg.AlterTableType_AT_SetStatistics, pg.AlterTableType_AT_SetStorage,
		pg.AlterTableType_AT_SetCompression, pg.AlterTableType_AT_AddIdentity, pg.AlterTableType_AT_SetIdentity,
		pg.AlterTableType_AT_DropIdentity, pg.AlterTableType_AT_SetExpression, pg.AlterTableType_AT_DropExpression:
		return nil
	case pg.AlterTableType_AT_EnableRowSecurity, pg.AlterTableType_AT_DisableRowSecurity,
		pg.AlterTableType_AT_ForceRowSecurity, pg.AlterTableType_AT_NoForceRowSecurity:
		if p.RowSecurity {
			return nil
		}
		return refuse("no %s: row-level security guards other readers; the connection's migrate.row_security allows it", subcommand(t))
	case pg.AlterTableType_AT_EnableTrig, pg.AlterTableType_AT_EnableAlwaysTrig, pg.AlterTableType_AT_EnableReplicaTrig,
		pg.AlterTableType_AT_DisableTrig, pg.AlterTableType_AT_EnableTrigAll, pg.AlterTableType_AT_DisableTrigAll,
		pg.AlterTableType_AT_EnableTrigUser, pg.AlterTableType_AT_DisableTrigUser:
		if p.Triggers {
			return nil
		}
		return refuse("no %s: triggers act beyond the table; the connection's migrate.triggers allows it", subcommand(t))
	}
	return refuse("ALTER TABLE sub-commands that change the table's columns, constraints and defaults, got %s", subcommand(t))
}

// subcommand names an ALTER TABLE sub-command: AT_ChangeOwner is "CHANGE OWNER".
func subcommand(t pg.AlterTableType) string {
	return words(strings.TrimPrefix(t.String(), "AT_"))
}

package schema

import "embed"

// Postgres holds postgres/migrations/*.sql, the goose migrations of the
// PostgreSQL store. Use fs.Sub(Postgres, "postgres/migrations") to reach
// the files.
//
//go:embed postgres/migrations/*.sql
var Postgres embed.FS

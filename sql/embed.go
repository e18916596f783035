// Package schema carries each database engine's migrations inside the
// binary, so that `stocking db migrate` and the embedded default need no
// files beside the executable. Each engine's folder holds goose migrations;
// the sqlc query files beside them are build inputs and are not embedded.
package schema

import "embed"

// SQLite holds sqlite/migrations/*.sql, the goose migrations of the SQLite
// store. Use fs.Sub(SQLite, "sqlite/migrations") to reach the files.
//
//go:embed sqlite/migrations/*.sql
var SQLite embed.FS

package schema

import "embed"

// MySQL holds mysql/migrations/*.sql, the goose migrations of the MySQL
// and MariaDB store. Use fs.Sub(MySQL, "mysql/migrations") to reach the
// files.
//
//go:embed mysql/migrations/*.sql
var MySQL embed.FS

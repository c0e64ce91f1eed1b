// Package depcheck holds a test that enforces the dependency direction of
// ARCHITECTURE.md: importing a package links only what it needs (a
// Lambda-only function links no Redis, pgx or functions-framework-go).
package depcheck

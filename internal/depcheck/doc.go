// Package depcheck holds tests that enforce the dependency direction of
// ARCHITECTURE.md as an allow-list: every package of the module has a rule
// naming the third-party families and the fnkit packages it may link, so
// importing a package links only what it needs (a Lambda-only function
// links no Redis, pgx or functions-framework-go). A package without a
// rule, or a module in no family, fails the tests.
package depcheck

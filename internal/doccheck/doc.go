// Package doccheck holds a test that every exported name of the module's
// packages has a doc comment, and that every package has one too.
package doccheck

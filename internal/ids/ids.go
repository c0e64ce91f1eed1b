// Package ids generates unique event ids cheaply.
package ids

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync"
	"sync/atomic"
)

// Generator makes ids unique across processes with overwhelming
// probability: a 64-bit random prefix drawn once, then a counter. It is safe
// for concurrent use.
type Generator struct {
	prefix [16]byte
	n      atomic.Uint64
}

// New returns a Generator with a fresh random prefix.
func New() *Generator {
	var raw [8]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails on supported platforms.
	g := &Generator{}
	hex.Encode(g.prefix[:], raw[:])
	return g
}

// Next returns a new id such as "9f86d081884c7d65-2a".
func (g *Generator) Next() string {
	var buf [16 + 1 + 16]byte
	b := append(buf[:0], g.prefix[:]...)
	b = append(b, '-')
	b = strconv.AppendUint(b, g.n.Add(1), 16)
	return string(b)
}

var shared = sync.OnceValue(New)

// Next returns a new id from a process-wide Generator.
func Next() string { return shared().Next() }

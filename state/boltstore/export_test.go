package boltstore

// Encode exposes the record encoding to tests that build files directly.
var Encode = encode

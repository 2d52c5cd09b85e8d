package rest

// HashPasswordForTest hashes with few iterations, so tests stay fast.
func HashPasswordForTest(pw string) (string, error) { return hashPasswordIter(pw, 1000) }

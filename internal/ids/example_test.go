package ids_test

import (
	"fmt"
	"strings"

	"github.com/fnkit/fnkit/internal/ids"
)

func ExampleGenerator_Next() {
	g := ids.New()
	first, second := g.Next(), g.Next()
	fmt.Println(first != second, strings.HasSuffix(first, "-1"), strings.HasSuffix(second, "-2"))
	// Output: true true true
}

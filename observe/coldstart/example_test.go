package coldstart_test

import (
	"fmt"

	"github.com/fnkit/fnkit/observe/coldstart"
)

func ExampleDetector() {
	d := coldstart.New() // once per process, in the adapter
	for range 3 {
		fmt.Println(d.First())
	}
	// Output:
	// true
	// false
	// false
}

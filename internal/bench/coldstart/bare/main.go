// Command bare is the baseline of the cold-start benchmark: net/http
// alone, decoding the greeting request and answering it, with the same
// checks examples/hello's validate tags make, written by hand.
package main

import (
	"encoding/json"
	"net/http"
	"os"
	"unicode/utf8"
)

type request struct {
	Name     string `json:"name"`
	Language string `json:"language,omitempty"`
}

type response struct {
	Greeting string `json:"greeting"`
}

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if req.Name == "" || utf8.RuneCountInString(req.Name) > 64 {
			http.Error(w, "name: required, at most 64 characters", http.StatusBadRequest)
			return
		}
		g := "Hello, " + req.Name + "!"
		switch req.Language {
		case "", "en":
		case "fr":
			g = "Bonjour, " + req.Name + " !"
		case "es":
			g = "¡Hola, " + req.Name + "!"
		default:
			http.Error(w, "language: must be one of: en fr es", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(response{Greeting: g})
	})
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		os.Exit(1)
	}
}

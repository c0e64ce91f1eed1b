package orders

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/middleware"
)

// CreatedType is the CloudEvents type of a create request sent as a plain
// POST, and ReplyType the type of its reply.
const (
	CreatedType = "com.example.orders.create"
	ReplyType   = "com.example.orders.created"
)

// Routes returns the API over svc: POST /orders runs svc.Create behind the
// default middleware stack (logging to logger) and then mw (the
// idempotency middleware, or any handler.Middleware); GET /orders/{id}
// reads an order; GET /orders?limit=N&after=ID lists a page (the answer's
// "next" is the next page's after). Any HTTP client can call it; POST
// /orders also accepts CloudEvents. Errors of svc other than invalid input
// and not found are logged to logger.
func Routes(svc *Service, mw handler.Middleware, logger *slog.Logger) http.Handler {
	// The default stack first (one log line per create, which takes the
	// place of the server's access-log line; spans, metrics, the platform
	// deadline), then idempotency. GET routes keep the access-log line.
	create := handler.Chain(middleware.DefaultStack(middleware.WithLogger(logger)), mw)(
		handler.Typed(svc.Create, handler.WithReplyType(ReplyType)))
	mux := http.NewServeMux()
	mux.Handle("POST /orders", httpserver.New(create,
		httpserver.WithPlainType(CreatedType), httpserver.WithMaxBodyBytes(64<<10), httpserver.WithLogger(logger)))
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		limit := DefaultPageSize
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				httpserver.NewProblem(http.StatusBadRequest, "limit "+strconv.Quote(v)+" is not a number").Write(w)
				return
			}
			limit = n
		}
		orders, next, err := svc.List(r.Context(), r.URL.Query().Get("after"), limit)
		if err != nil {
			if handler.ClassOf(err) != handler.ClassInvalidInput {
				logger.ErrorContext(r.Context(), "list orders", "error", err)
			}
			httpserver.WriteProblem(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(struct {
			Orders []Order `json:"orders"`
			Next   string  `json:"next,omitempty"`
		}{orders, next})
	})
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		o, err := svc.Get(r.Context(), r.PathValue("id"))
		switch {
		case errors.Is(err, ErrNotFound):
			httpserver.NewProblem(http.StatusNotFound, "no order with id "+r.PathValue("id")).Write(w)
			return
		case err != nil:
			logger.ErrorContext(r.Context(), "get order", "error", err)
			httpserver.WriteProblem(w, err) // 500, or 504 past the deadline; no internal text
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(o)
	})
	return mux
}

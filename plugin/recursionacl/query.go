package recursionacl

import "context"

// query is recursionacl's decision about a client query; it travels in the
// context to the barriers and to lookups made for the query on its goroutine.
type query struct {
	qname string // the client's query name, for the denial log of lookups made for it

	denied bool // the client may not recurse: authoritative data only
	rd0    bool // an allowed client's RD=0 query: cache and local data only

	refused bool // the barrier refused the client's own query
	chased  bool // the barrier refused a lookup made for it (an out-of-zone CNAME target)
	miss    bool // RD=0: nothing answered it without asking elsewhere
}

type queryKey struct{}

func withQuery(ctx context.Context, q *query) context.Context {
	return context.WithValue(ctx, queryKey{}, q)
}

// queryOf returns ctx's query, nil for an allowed client's RD=1 query.
func queryOf(ctx context.Context) *query {
	q, _ := ctx.Value(queryKey{}).(*query)
	return q
}

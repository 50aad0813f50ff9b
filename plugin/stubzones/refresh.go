package stubzones

import (
	"context"
	"time"
)

// run refreshes z at once, then on the SOA timers or a NOTIFY, until ctx ends.
func (s *Stubzones) run(ctx context.Context, z *zone) {
	var (
		wait    time.Duration
		last    time.Time // start of the last refresh
		backoff time.Duration
		expired bool // logged already
	)
	for {
		t := s.clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		case <-z.kick:
			t.Stop()
			// A burst of NOTIFYs (or forged ones) starts at most one
			// refresh per notifyHoldoff.
			if d := last.Add(notifyHoldoff).Sub(s.clock.Now()); !last.IsZero() && d > 0 {
				wait = d
				continue
			}
		}
		last = s.clock.Now()
		wait = s.refresh(ctx, z, &backoff, &expired)
	}
}

// refresh runs one refresh and returns the wait to the next; backoff is a
// never-loaded zone's retry, expired whether expiry was logged.
func (s *Stubzones) refresh(ctx context.Context, z *zone, backoff *time.Duration, expired *bool) time.Duration {
	cur := z.data.Load()
	now := s.clock.Now()
	if cur != nil && !now.Before(cur.expires) {
		if !*expired {
			log.Errorf("Zone %s expired: no primary answered since %s; answering SERVFAIL until one does", z.name, cur.fetched.UTC().Format(time.RFC3339))
			*expired = true
		}
		cur = nil // refetch everything, as for a zone never loaded
	}

	d, changed, err := s.fetch(ctx, z, cur)
	if ctx.Err() != nil {
		return 0 // shutting down; the loop returns
	}
	if err != nil {
		refreshCount.WithLabelValues(s.server, z.name, "failed").Inc()
		if old := z.data.Load(); old != nil {
			if !s.clock.Now().Before(old.expires) {
				// Kept for its retry timer only: its names get SERVFAIL.
				log.Warningf("Zone %s: refresh failed, expired since %s: %v", z.name, old.expires.UTC().Format(time.RFC3339), err)
			} else {
				log.Warningf("Zone %s: refresh failed, serving serial %d until %s: %v", z.name, old.soa.Serial, old.expires.UTC().Format(time.RFC3339), err)
			}
			return s.jitter(old.retry)
		}
		// Never loaded: back off from firstRetry up to refresh-min.
		*backoff = min(max(2**backoff, min(firstRetry, z.opts.refreshMin)), z.opts.refreshMin)
		log.Warningf("Zone %s: refresh failed, no data yet; next try in %s: %v", z.name, *backoff, err)
		return *backoff
	}

	*expired, *backoff = false, 0
	z.data.Store(d)
	if changed {
		refreshCount.WithLabelValues(s.server, z.name, "updated").Inc()
		log.Infof("Zone %s: serial %d from %s; name servers %s", z.name, d.soa.Serial, d.primary, d.describe())
	} else {
		refreshCount.WithLabelValues(s.server, z.name, "unchanged").Inc()
	}
	if z.file != "" {
		if err := save(z.file, z.name, d); err != nil {
			saveErrors.WithLabelValues(s.server, z.name).Inc()
			log.Errorf("Zone %s: saving %s: %v", z.name, z.file, err)
		}
	}
	return s.jitter(d.refresh)
}

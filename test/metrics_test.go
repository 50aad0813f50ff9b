package test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// metricSeries returns the values (a counter's count, else a gauge's value)
// of the series of metric name whose label is value, in the registry's
// order.
func metricSeries(t *testing.T, name, label, value string) []float64 {
	t.Helper()
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var vals []float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					if m.GetCounter() != nil {
						vals = append(vals, m.GetCounter().GetValue())
					} else {
						vals = append(vals, m.GetGauge().GetValue())
					}
				}
			}
		}
	}
	return vals
}

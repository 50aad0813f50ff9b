package stubzones

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// counterValue reads one counter of a vector.
func counterValue(cv *prometheus.CounterVec, labels ...string) float64 {
	var m dto.Metric
	if err := cv.WithLabelValues(labels...).Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}

// collected returns the collector's series as "name{zone} value".
func collected(c *zoneCollector) map[string]float64 {
	ch := make(chan prometheus.Metric, 100)
	c.Collect(ch)
	close(ch)
	out := map[string]float64{}
	for m := range ch {
		var pb dto.Metric
		m.Write(&pb)
		name := "serial"
		if m.Desc() == expiresDesc {
			name = "expires"
		}
		zone := ""
		for _, l := range pb.GetLabel() {
			if l.GetName() == "zone" {
				zone = l.GetValue()
			}
		}
		out[name+"{"+zone+"}"] = pb.GetGauge().GetValue()
	}
	return out
}

// During a reload the new instance takes over the series; the old one's
// removal leaves them.
func TestZoneCollector(t *testing.T) {
	c := &zoneCollector{zones: map[[2]string]zoneEntry{}}
	clk := newFakeClock()
	old := newTestStubzones(clk, map[string]*options{zoneName: testOptions("127.0.0.1"), "example.net.": testOptions("127.0.0.1")})
	old.zones[zoneName].data.Store(testData(t, clk.Now()))
	c.add(old)
	got := collected(c)
	if got["serial{example.org.}"] != 7 || got["expires{example.org.}"] != 600 || got["expires{example.net.}"] != 0 || len(got) != 3 {
		t.Errorf("series %v", got)
	}
	clk.Advance(700 * time.Second)
	if got := collected(c); got["expires{example.org.}"] != 0 {
		t.Errorf("expired: %v", got)
	}

	reloaded := newTestStubzones(clk, map[string]*options{zoneName: testOptions("127.0.0.1")})
	reloaded.zones[zoneName].data.Store(testData(t, clk.Now()))
	c.add(reloaded)
	c.remove(old)
	if got := collected(c); got["expires{example.org.}"] != 600 || len(got) != 2 {
		t.Errorf("after the reload: %v", got)
	}
	c.remove(reloaded)
	if got := collected(c); len(got) != 0 {
		t.Errorf("after shutdown: %v", got)
	}
}

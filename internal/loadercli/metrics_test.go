package loadercli

import "testing"

func TestMetricsListenAddr(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{":9464", "127.0.0.1:9464"},
		{":0", "127.0.0.1:0"},
		{"0.0.0.0:9464", "0.0.0.0:9464"},
		{"[::]:9464", "[::]:9464"},
		{"10.1.2.3:9464", "10.1.2.3:9464"},
		{"localhost:9464", "localhost:9464"},
	} {
		if got := metricsListenAddr(tc.in); got != tc.want {
			t.Errorf("metricsListenAddr(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

package interceptor

import (
	"testing"

	"github.com/kafka2hdfs/kafka2hdfs/field"
)

func TestFilter(t *testing.T) {
	click := Config{Type: "filter", Field: "event", Values: []string{"click", "view"}}
	dropClick := click
	dropClick.Action = "drop"
	keepClick := click
	keepClick.Action = "keep"
	tests := []struct {
		name string
		cfg  Config
		in   field.Value
		want bool
	}{
		{"values match", click, str("click"), true},
		{"values second", click, str("view"), true},
		{"values no match", click, str("buy"), false},
		{"values exact not prefix", click, str("clicks"), false},
		{"values case sensitive", click, str("Click"), false},
		{"missing never matches", click, missing, false},
		{"null never matches", click, null, false},
		{"explicit keep", keepClick, str("click"), true},
		{"drop matching", dropClick, str("click"), false},
		{"drop keeps others", dropClick, str("buy"), true},
		{"drop keeps missing", dropClick, missing, true},
		{"drop keeps null", dropClick, null, true},
		{"number literal", Config{Type: "filter", Field: "event", Values: []string{"42"}}, num("42"), true},
		{"number literal as written", Config{Type: "filter", Field: "event", Values: []string{"4.5"}}, num("4.50"), false},
		{"bool text", Config{Type: "filter", Field: "event", Values: []string{"true"}}, boolean("true"), true},
		{"empty string value", Config{Type: "filter", Field: "event", Values: []string{""}}, str(""), true},
		{"empty string is not missing", Config{Type: "filter", Field: "event", Values: []string{""}}, missing, false},
		{"regex unanchored", Config{Type: "filter", Field: "event", Regex: "lic"}, str("click"), true},
		{"regex anchored", Config{Type: "filter", Field: "event", Regex: "^lic"}, str("click"), false},
		{"regex whole value", Config{Type: "filter", Field: "event", Regex: "^(click|view)$"}, str("views"), false},
		{"regex raw object", Config{Type: "filter", Field: "event", Regex: `"vip":true`}, field.Value{Kind: field.Object, Bytes: []byte(`{"vip":true}`)}, true},
		{"regex drop", Config{Type: "filter", Field: "event", Regex: `^test-`, Action: "drop"}, str("test-1"), false},
		{"regex missing", Config{Type: "filter", Field: "event", Regex: `.*`}, missing, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newRig(t, []string{"event"}, nil, tt.cfg)
			keep, err := g.chain.Intercept(g.record(tt.in))
			if err != nil || keep != tt.want {
				t.Errorf("Intercept(%v) = %v, %v, want %v, nil", fmtValue(tt.in), keep, err, tt.want)
			}
		})
	}
}

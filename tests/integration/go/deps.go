// Package franzgo exists only so that this module requires franz-go: test_franz_go.py runs
// `go test github.com/twmb/franz-go/pkg/kgo` from here, against a broker named by KGO_SEEDS.
package franzgo

import _ "github.com/twmb/franz-go/pkg/kgo"

// Package meter drives packets from capture sources through a feature
// extractor: file order, capture-filter application, truncation and error
// accounting. It is what cmd/classify and cmd/train share. Run shards flows
// over workers, merges their records back into expiry order, and only then
// attaches cross-flow context and scores, so results do not depend on the
// number of workers.
package meter

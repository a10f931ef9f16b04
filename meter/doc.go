// Package meter drives packets from capture sources through a feature
// extractor: file order, capture-filter application, truncation and error
// accounting. It is what cmd/classify and cmd/train share.
package meter

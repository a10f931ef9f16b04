// Package embedded carries the default model that classify ships with, so
// the binary works out of the box. scripts/train-default.sh rebuilds it;
// report/ holds its training report.
package embedded

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/flowclass/flowclass/model"
)

//go:embed default.json
var defaultModel []byte

// Default loads the embedded model.
func Default() (*model.Model, error) {
	m, err := model.Load(bytes.NewReader(defaultModel))
	if err != nil {
		return nil, fmt.Errorf("embedded default model: %w", err)
	}
	return m, nil
}

// Describe names a model for --version and summaries: its feature set,
// size, training date and a short hash of its file.
func Describe(m *model.Model, raw []byte) string {
	var t struct {
		Date  string `json:"date"`
		Trees int    `json:"trees"`
	}
	_ = json.Unmarshal(m.Training, &t)
	sum := sha256.Sum256(raw)
	s := fmt.Sprintf("%s, %d features", m.FeatureSet, len(m.Features))
	if t.Trees > 0 {
		s += fmt.Sprintf(", %d trees", t.Trees)
	}
	if t.Date != "" {
		s += ", trained " + t.Date
	}
	return s + ", sha256 " + hex.EncodeToString(sum[:6])
}

// DefaultIdentity describes the embedded model.
func DefaultIdentity() string {
	m, err := Default()
	if err != nil {
		return "embedded model unreadable: " + err.Error()
	}
	return Describe(m, defaultModel)
}

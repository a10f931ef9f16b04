// Package model loads a trained flow classifier (our JSON envelope, a bare
// LightGBM text model or an XGBoost JSON model), binds it to the feature
// extractor's columns, scores rows with leaves and explains single scores by
// per-feature path attributions. Training lives in model/gbdt.
package model

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/dmitryikh/leaves"
)

// FormatV1 is the envelope format this package reads and writes.
const FormatV1 = "flowclass-model/1"

// Where a loaded model came from, in Model.Source.
const (
	SourceEnvelope = "flowclass"
	SourceLightGBM = "lightgbm"
	SourceXGBoost  = "xgboost"
)

// Model is a binary flow classifier: a LightGBM text model plus what is
// needed to feed and read it.
type Model struct {
	Format string // FormatV1; empty is written as FormatV1
	// FeatureSet names the extractor's feature catalogue the model was
	// trained on; "" (bare LightGBM or XGBoost files) skips the check.
	FeatureSet string
	// Features are the model's inputs in the model's column order.
	Features []string
	// Threshold is the probability at or above which a flow is called
	// PositiveClass.
	Threshold     float64
	PositiveClass string
	// Training is a free-form JSON summary of how the model was made.
	Training json.RawMessage
	// LightGBM is the full LightGBM text model (binary sigmoid:1).
	LightGBM []byte
	// Source is set by Load: SourceEnvelope, SourceLightGBM or
	// SourceXGBoost. It is not written.
	Source string
}

// envelope is the on-disk JSON form of Model.
type envelope struct {
	Format        string          `json:"format"`
	FeatureSet    string          `json:"feature_set"`
	Features      []string        `json:"features"`
	Threshold     *float64        `json:"threshold"`
	PositiveClass string          `json:"positive_class"`
	Training      json.RawMessage `json:"training,omitempty"`
	LightGBM      string          `json:"lightgbm"`
}

// Write checks m and writes it as a JSON envelope.
func (m *Model) Write(w io.Writer) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	th := m.Threshold
	env := envelope{
		Format:        m.Format,
		FeatureSet:    m.FeatureSet,
		Features:      m.Features,
		Threshold:     &th,
		PositiveClass: m.PositiveClass,
		Training:      m.Training,
		LightGBM:      string(m.LightGBM),
	}
	if env.Format == "" {
		env.Format = FormatV1
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&env); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	return nil
}

// Validate reports the first reason m cannot be scored: bad envelope
// fields, a LightGBM text we or leaves cannot read, or a feature list that
// does not match the LightGBM model.
func (m *Model) Validate() error {
	_, err := m.compile()
	return err
}

// compiled is a model ready to score: leaves' ensemble for the margins and
// our own trees for the explanations.
type compiled struct {
	trees *lgbModel
	ens   *leaves.Ensemble // raw margins, no transformation
}

func (m *Model) compile() (*compiled, error) {
	if m.Format != "" && m.Format != FormatV1 {
		return nil, fmt.Errorf("unsupported model format %q (this build reads %q)", m.Format, FormatV1)
	}
	if len(m.Features) == 0 {
		return nil, errors.New("model lists no features")
	}
	seen := make(map[string]int, len(m.Features))
	for i, f := range m.Features {
		if f == "" {
			return nil, fmt.Errorf("model feature %d has an empty name", i)
		}
		if j, dup := seen[f]; dup {
			return nil, fmt.Errorf("model feature %q appears twice (%d and %d)", f, j, i)
		}
		seen[f] = i
	}
	if !(m.Threshold >= 0 && m.Threshold <= 1) {
		return nil, fmt.Errorf("model threshold %v is not a probability", m.Threshold)
	}
	if len(m.LightGBM) == 0 {
		return nil, errors.New("model has no LightGBM text")
	}
	trees, err := parseLightGBM(m.LightGBM)
	if err != nil {
		return nil, err
	}
	if len(trees.featureNames) != len(m.Features) {
		return nil, fmt.Errorf("model lists %d features but its LightGBM model has %d", len(m.Features), len(trees.featureNames))
	}
	for i, name := range trees.featureNames {
		if name != m.Features[i] && !defaultName(name, i) {
			return nil, fmt.Errorf("model feature %d is %q but its LightGBM model calls it %q", i, m.Features[i], name)
		}
	}
	ens, err := loadLeaves(m.LightGBM, trees.version)
	if err != nil {
		return nil, err
	}
	// Both readers must see the same trees, or explanations would describe
	// another model than the one scored.
	if ens.NEstimators() != len(trees.trees) {
		return nil, fmt.Errorf("leaves reads %d trees, we read %d", ens.NEstimators(), len(trees.trees))
	}
	for i, n := range ens.NLeaves() {
		if n != len(trees.trees[i].leafValue) {
			return nil, fmt.Errorf("tree %d: leaves reads %d leaves, we read %d", i, n, len(trees.trees[i].leafValue))
		}
	}
	// leaves reports 0 features for max_feature_idx=0.
	if nf := ens.NFeatures(); nf != len(m.Features) && !(nf == 0 && len(m.Features) == 1) {
		return nil, fmt.Errorf("leaves reads %d features, the model lists %d", nf, len(m.Features))
	}
	return &compiled{trees: trees, ens: ens.EnsembleWithRawPredictions()}, nil
}

// defaultName reports whether name is the placeholder LightGBM (Column_i)
// or XGBoost (fi) writes when it was given no names; an envelope may then
// name the columns itself.
func defaultName(name string, i int) bool {
	s := strconv.Itoa(i)
	return name == "Column_"+s || name == "f"+s
}

// loadLeaves hands the text to leaves. leaves only knows the v2/v3 headers;
// v4 has the same tree blocks, so the version line is relabelled. A panic
// inside leaves (it indexes without checks) becomes an error, although
// parseLightGBM has already rejected every text known to cause one.
func loadLeaves(text []byte, version string) (ens *leaves.Ensemble, err error) {
	if version == "v4" {
		text = bytes.Replace(text, []byte("version=v4"), []byte("version=v3"), 1)
	}
	defer func() {
		if r := recover(); r != nil {
			ens, err = nil, fmt.Errorf("leaves cannot read the LightGBM model: panic: %v", r)
		}
	}()
	ens, err = leaves.LGEnsembleFromReader(bufio.NewReader(bytes.NewReader(text)), true)
	if err != nil {
		return nil, fmt.Errorf("leaves cannot read the LightGBM model: %w", err)
	}
	return ens, nil
}

// sigmoid is leaves' logistic transformation, written the same way so that
// Score equals leaves' probability bit for bit.
func sigmoid(x float64) float64 { return 1.0 / (1.0 + math.Exp(-x)) }

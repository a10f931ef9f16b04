package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/flowclass/flowclass/model/xgbconv"
)

// maxModelSize bounds what Load reads; real models are a few megabytes.
const maxModelSize = 1 << 30

// LoadFile loads a model file; see Load.
func LoadFile(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	defer f.Close()
	m, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", path, err)
	}
	return m, nil
}

// Load reads a model and checks that it can be scored. It accepts our JSON
// envelope, a bare LightGBM text model (header version v2, v3 or v4;
// feature names from its feature_names line, threshold 0.5, no feature set)
// and an XGBoost JSON model (recognised by its "learner" key, converted with
// xgbconv; same defaults). leaves' own XGBoost loader is never used: it
// crashes on current XGBoost files.
func Load(r io.Reader) (*Model, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxModelSize+1))
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	if len(data) > maxModelSize {
		return nil, fmt.Errorf("model is larger than %d bytes", maxModelSize)
	}
	m, err := decode(data)
	if err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%s model: %w", m.Source, err)
	}
	return m, nil
}

func decode(data []byte) (*Model, error) {
	body := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(body) == 0 {
		return nil, errors.New("model file is empty")
	}
	if body[0] == '{' {
		return decodeJSON(body)
	}
	if firstLine(body) == "tree" {
		return fromLightGBM(data)
	}
	return nil, fmt.Errorf("unrecognised model file starting with %q: want a flowclass JSON model, a LightGBM text model or an XGBoost JSON model",
		head(body, 24))
}

func decodeJSON(body []byte) (*Model, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		if !json.Valid(body) && bytes.Contains(head(body, 64), []byte("learner")) {
			return nil, errors.New("model looks like XGBoost UBJSON, which is not supported: save the model as .json")
		}
		return nil, fmt.Errorf("model starts like JSON but does not parse: %w", err)
	}
	if _, ok := top["format"]; ok {
		return fromEnvelope(body)
	}
	if _, ok := top["learner"]; ok {
		return fromXGBoost(body)
	}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 8 {
		keys = append(keys[:8], "...")
	}
	return nil, fmt.Errorf("JSON object with keys [%s] is neither a flowclass model (no \"format\") nor an XGBoost model (no \"learner\")",
		strings.Join(keys, " "))
}

func fromEnvelope(body []byte) (*Model, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("flowclass model: %w", err)
	}
	if env.Format != FormatV1 {
		return nil, fmt.Errorf("unsupported model format %q (this build reads %q)", env.Format, FormatV1)
	}
	if env.Threshold == nil {
		return nil, errors.New("flowclass model has no threshold")
	}
	if env.LightGBM == "" {
		return nil, errors.New("flowclass model has no lightgbm text")
	}
	m := &Model{
		Format:        env.Format,
		FeatureSet:    env.FeatureSet,
		Features:      env.Features,
		Threshold:     *env.Threshold,
		PositiveClass: env.PositiveClass,
		LightGBM:      []byte(env.LightGBM),
		Source:        SourceEnvelope,
	}
	if len(env.Training) > 0 && !bytes.Equal(env.Training, []byte("null")) {
		m.Training = env.Training
	}
	return m, nil
}

func fromLightGBM(data []byte) (*Model, error) {
	lgb, err := parseLightGBM(data)
	if err != nil {
		return nil, err
	}
	return &Model{
		Format:    FormatV1,
		Features:  lgb.featureNames,
		Threshold: 0.5,
		LightGBM:  data,
		Source:    SourceLightGBM,
	}, nil
}

func fromXGBoost(body []byte) (*Model, error) {
	text, info, err := xgbconv.Convert(bytes.NewReader(body), nil)
	if err != nil {
		return nil, fmt.Errorf("convert XGBoost model: %w", err)
	}
	training, err := json.Marshal(map[string]any{
		"source":     SourceXGBoost,
		"objective":  info.Objective,
		"booster":    info.Booster,
		"trees":      info.Trees,
		"base_score": info.BaseScore,
	})
	if err != nil {
		return nil, fmt.Errorf("XGBoost model summary: %w", err)
	}
	return &Model{
		Format:    FormatV1,
		Features:  info.FeatureNames,
		Threshold: 0.5,
		Training:  training,
		LightGBM:  text,
		Source:    SourceXGBoost,
	}, nil
}

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte{'\n'})
	return string(bytes.TrimSpace(line))
}

func head(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

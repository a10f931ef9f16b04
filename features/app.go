package features

import "github.com/flowclass/flowclass/decode"

// appState is the application-layer state a flow keeps. It is replaced by
// package appmeta's parser state once that lands.
type appState struct{}

func (s *appState) observe(dir int, p *decode.Packet) {}

// metaColumns are the application-layer string columns.
var metaColumns = []Column{}

// appFeatures are the application-layer numeric features.
var appFeatures = []Feature{}

func (s *appState) meta(dst []string) {}

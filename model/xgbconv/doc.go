// Package xgbconv converts an XGBoost JSON model (binary:logistic, gbtree or
// dart) into LightGBM's text model format, so that leaves'
// LGEnsembleFromReader can score it without touching leaves' own XGBoost
// loader, which only reads the pre-1.0 binary format.
//
// # What changes between the two formats
//
// Split direction. XGBoost sends a row left when float32(x) < t, with t a
// float32 split condition; LightGBM and leaves send it left when x <= T,
// comparing the float64 feature with a float64 threshold. XGBoost rounds the
// input to float32 (round to nearest, ties to even) before comparing, so the
// set of float64 inputs it sends left is exactly those below the rounding
// boundary between t and the float32 just below it. The converter writes that
// boundary as T: the float64 midpoint m between the two float32 neighbours
// (exactly representable, float64 has 29 spare mantissa bits) when a tie
// rounds down, and the float64 just below m when a tie rounds up to t. Rows
// sitting exactly on t go right as in XGBoost, and values between the two
// float32 neighbours go the side XGBoost's own rounding sends them.
//
// Precondition: features are passed to leaves as float64 and are otherwise
// the same numbers that XGBoost was given (e.g. the CSV or numpy float64
// values). No pre-rounding to float32 is needed; every finite float64, ±Inf
// and NaN routes as in XGBoost. The simpler rule T = nextafter(t, -Inf) is
// only right for float32-representable inputs (it sends every value between
// the neighbours left); see TestThresholdRule.
//
// Missing values. XGBoost's per-node default_left becomes LightGBM's
// decision_type with missing type NaN (bits 2-3 = 2) and the default-left
// bit (bit 1), so NaN follows the default direction in leaves. Zero is an
// ordinary value in both.
//
// Base score. XGBoost starts every margin at logit(base_score); LightGBM has
// no such term, so the margin offset is added to every leaf of the first
// tree, which each row visits exactly once. The output declares
// "objective=binary sigmoid:1", which leaves maps to the logistic function.
//
// Dart. Each tree's leaves are scaled by its weight_drop, which is how
// XGBoost's dart booster weighs trees at inference.
//
// Not supported, rejected with an error: multi-class or multi-target
// models, objectives other than binary:logistic / reg:logistic, gblinear,
// categorical splits or features, vector leaves, UBJSON and the old binary
// format. Predictions use all trees, like Booster.predict without
// iteration_range; a best_iteration attribute is ignored.
//
// Numerics. XGBoost accumulates margins and the sigmoid in float32, leaves
// in float64; expect differences around 1e-7 in probability, never a
// different leaf.
package xgbconv

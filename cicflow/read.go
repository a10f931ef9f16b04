package cicflow

import (
	"fmt"
	"math"
	"strings"

	"github.com/flowclass/flowclass/features"
)

// Reading CSVs as the CIC datasets distribute them: CIC-IDS2017 (header
// cells with a leading space, its own spellings, Fwd Header Length twice)
// and CSE-CIC-IDS2018 (abbreviated spellings) name the same columns
// differently from FlowFeature.java.

// aliases maps other spellings, lower-cased, to FlowFeature.java's names.
var aliases = buildAliases()

func buildAliases() map[string]string {
	aliases := map[string]string{}
	pairs := [][2]string{
		// CIC-IDS2017 (GeneratedLabelledFlows and MachineLearningCSV).
		{"Source IP", "Src IP"}, {"Source Port", "Src Port"}, {"Destination IP", "Dst IP"},
		{"Destination Port", "Dst Port"}, {"Total Fwd Packets", "Total Fwd Packet"},
		{"Total Backward Packets", "Total Bwd packets"}, {"Total Length of Fwd Packets", "Total Length of Fwd Packet"},
		{"Total Length of Bwd Packets", "Total Length of Bwd Packet"}, {"Min Packet Length", "Packet Length Min"},
		{"Max Packet Length", "Packet Length Max"}, {"CWE Flag Count", "CWR Flag Count"},
		{"Avg Fwd Segment Size", "Fwd Segment Size Avg"}, {"Avg Bwd Segment Size", "Bwd Segment Size Avg"},
		{"Fwd Avg Bytes/Bulk", "Fwd Bytes/Bulk Avg"}, {"Fwd Avg Packets/Bulk", "Fwd Packet/Bulk Avg"},
		{"Fwd Avg Bulk Rate", "Fwd Bulk Rate Avg"}, {"Bwd Avg Bytes/Bulk", "Bwd Bytes/Bulk Avg"},
		{"Bwd Avg Packets/Bulk", "Bwd Packet/Bulk Avg"}, {"Bwd Avg Bulk Rate", "Bwd Bulk Rate Avg"},
		{"Init_Win_bytes_forward", "FWD Init Win Bytes"}, {"Init_Win_bytes_backward", "Bwd Init Win Bytes"},
		{"act_data_pkt_fwd", "Fwd Act Data Pkts"}, {"min_seg_size_forward", "Fwd Seg Size Min"},
		// CSE-CIC-IDS2018.
		{"Tot Fwd Pkts", "Total Fwd Packet"}, {"Tot Bwd Pkts", "Total Bwd packets"},
		{"TotLen Fwd Pkts", "Total Length of Fwd Packet"}, {"TotLen Bwd Pkts", "Total Length of Bwd Packet"},
		{"Fwd Pkt Len Max", "Fwd Packet Length Max"}, {"Fwd Pkt Len Min", "Fwd Packet Length Min"},
		{"Fwd Pkt Len Mean", "Fwd Packet Length Mean"}, {"Fwd Pkt Len Std", "Fwd Packet Length Std"},
		{"Bwd Pkt Len Max", "Bwd Packet Length Max"}, {"Bwd Pkt Len Min", "Bwd Packet Length Min"},
		{"Bwd Pkt Len Mean", "Bwd Packet Length Mean"}, {"Bwd Pkt Len Std", "Bwd Packet Length Std"},
		{"Flow Byts/s", "Flow Bytes/s"}, {"Flow Pkts/s", "Flow Packets/s"},
		{"Fwd IAT Tot", "Fwd IAT Total"}, {"Bwd IAT Tot", "Bwd IAT Total"},
		{"Fwd Header Len", "Fwd Header Length"}, {"Bwd Header Len", "Bwd Header Length"},
		{"Fwd Pkts/s", "Fwd Packets/s"}, {"Bwd Pkts/s", "Bwd Packets/s"},
		{"Pkt Len Min", "Packet Length Min"}, {"Pkt Len Max", "Packet Length Max"},
		{"Pkt Len Mean", "Packet Length Mean"}, {"Pkt Len Std", "Packet Length Std"},
		{"Pkt Len Var", "Packet Length Variance"},
		{"FIN Flag Cnt", "FIN Flag Count"}, {"SYN Flag Cnt", "SYN Flag Count"}, {"RST Flag Cnt", "RST Flag Count"},
		{"PSH Flag Cnt", "PSH Flag Count"}, {"ACK Flag Cnt", "ACK Flag Count"}, {"URG Flag Cnt", "URG Flag Count"},
		{"ECE Flag Cnt", "ECE Flag Count"}, {"Pkt Size Avg", "Average Packet Size"},
		{"Fwd Seg Size Avg", "Fwd Segment Size Avg"}, {"Bwd Seg Size Avg", "Bwd Segment Size Avg"},
		{"Fwd Byts/b Avg", "Fwd Bytes/Bulk Avg"}, {"Fwd Pkts/b Avg", "Fwd Packet/Bulk Avg"},
		{"Fwd Blk Rate Avg", "Fwd Bulk Rate Avg"}, {"Bwd Byts/b Avg", "Bwd Bytes/Bulk Avg"},
		{"Bwd Pkts/b Avg", "Bwd Packet/Bulk Avg"}, {"Bwd Blk Rate Avg", "Bwd Bulk Rate Avg"},
		{"Subflow Fwd Pkts", "Subflow Fwd Packets"}, {"Subflow Fwd Byts", "Subflow Fwd Bytes"},
		{"Subflow Bwd Pkts", "Subflow Bwd Packets"}, {"Subflow Bwd Byts", "Subflow Bwd Bytes"},
		{"Init Fwd Win Byts", "FWD Init Win Bytes"}, {"Init Bwd Win Byts", "Bwd Init Win Bytes"},
	}
	for _, c := range columns {
		aliases[strings.ToLower(c)] = c
	}
	for _, p := range pairs {
		aliases[strings.ToLower(p[0])] = p[1]
	}
	return aliases
}

// Canonical returns FlowFeature.java's name for a header cell of a
// CIC-style CSV, whatever its spelling, case or surrounding spaces.
// duplicate is true for the repeated Fwd Header Length as pandas names it
// (Fwd Header Length.1), which holds the same values and is to be skipped;
// a CSV read raw has the name twice, and the first one counts. ok is false
// for a column CICFlowMeter does not write.
func Canonical(cell string) (name string, duplicate, ok bool) {
	c := strings.ToLower(strings.TrimSpace(cell))
	if c == "fwd header length.1" {
		return "", true, true
	}
	name, ok = aliases[c]
	return name, false, ok
}

// FeatureSet names ModelInputs for model files: a model trained on CIC
// columns records it, and only the CIC vector (Writer.Values) may score it.
const FeatureSet = "cicflow/1"

// ModelInputs are the CIC columns a model may learn from, in header order:
// Dst Port and the 76 numeric columns from Flow Duration to Idle Min.
// Protocol is left out because CIC-IDS2017's MachineLearningCSV files lack
// it; addresses, source port, flow id and timestamp identify a capture
// rather than describe behaviour.
func ModelInputs() []string {
	out := []string{"Dst Port"}
	return append(out, columns[firstNumeric:firstNumeric+numeric]...)
}

// Values appends r's ModelInputs values, in that order, for scoring a
// model trained on CIC columns. It allocates nothing when dst has room.
func (w *Writer) Values(dst []float64, r *features.Record) []float64 {
	var v [numeric]float64
	w.numbers(&v, r)
	dst = append(dst, float64(r.DstPort))
	return append(dst, v[:]...)
}

// Vector builds ModelInputs vectors from schema-ordered feature values
// alone (Record.Values), which is all a scorer in the metering pipeline
// sees: the duration and the destination port come from the schema's
// bidirectional_duration_ms and dst_port instead of the record's fields.
type Vector struct {
	w         *Writer
	dur, port int
	width     int
}

// NewVector binds a Vector to schema; it fails when the schema lacks a
// feature the CIC columns need.
func NewVector(schema *features.Schema) (*Vector, error) {
	w, err := New(schema)
	if err != nil {
		return nil, err
	}
	v := &Vector{w: w, dur: schema.Index("bidirectional_duration_ms"), port: schema.Index("dst_port"), width: len(schema.Features)}
	if v.dur < 0 || v.port < 0 {
		return nil, fmt.Errorf("cic columns need bidirectional_duration_ms and dst_port, which %s lacks", features.Version)
	}
	return v, nil
}

// Width is the length of the schema rows Append reads.
func (v *Vector) Width() int { return v.width }

// Append appends the ModelInputs vector of one schema-ordered row of
// values, the same numbers Writer.Values gives for its record. It
// allocates nothing when dst has room.
func (v *Vector) Append(dst []float64, values []float64) []float64 {
	var out [numeric]float64
	// Durations are whole nanoseconds; rounding undoes the ms division.
	v.w.numbersFrom(&out, values, math.Round(max(values[v.dur], 0)*1e6))
	dst = append(dst, values[v.port])
	return append(dst, out[:]...)
}

// ParseLabel reads a Label cell: BENIGN (any case), benign, normal or 0
// is benign; malicious, attack or 1 is malicious without a type; any other
// name (DDoS, PortScan, "Web Attack – Brute Force", ...) is malicious with
// that name as its attack type.
func ParseLabel(cell string) (malicious bool, attackType string, err error) {
	s := strings.TrimSpace(cell)
	switch strings.ToLower(s) {
	case "":
		return false, "", fmt.Errorf("empty label")
	case "benign", "normal", "0":
		return false, "", nil
	case "malicious", "attack", "1":
		return true, "", nil
	}
	return true, s, nil
}

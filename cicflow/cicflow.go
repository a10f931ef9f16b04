// Package cicflow writes flows in CICFlowMeter's CSV layout: the columns of
// its FlowFeature.java, same names, order and units (microseconds,
// bytes/s, packets/s), computed from our features with the published
// corrections applied. docs/CIC.md lists every difference.
package cicflow

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/flowclass/flowclass/features"
)

// columns is CICFlowMeter's header (FlowFeature.java, 84 columns): the
// duplicate Fwd Header Length that older releases printed as column 62 is
// not there, as in FlowFeature.java itself.
var columns = [...]string{
	"Flow ID", "Src IP", "Src Port", "Dst IP", "Dst Port", "Protocol", "Timestamp",
	"Flow Duration", "Total Fwd Packet", "Total Bwd packets",
	"Total Length of Fwd Packet", "Total Length of Bwd Packet",
	"Fwd Packet Length Max", "Fwd Packet Length Min", "Fwd Packet Length Mean", "Fwd Packet Length Std",
	"Bwd Packet Length Max", "Bwd Packet Length Min", "Bwd Packet Length Mean", "Bwd Packet Length Std",
	"Flow Bytes/s", "Flow Packets/s",
	"Flow IAT Mean", "Flow IAT Std", "Flow IAT Max", "Flow IAT Min",
	"Fwd IAT Total", "Fwd IAT Mean", "Fwd IAT Std", "Fwd IAT Max", "Fwd IAT Min",
	"Bwd IAT Total", "Bwd IAT Mean", "Bwd IAT Std", "Bwd IAT Max", "Bwd IAT Min",
	"Fwd PSH Flags", "Bwd PSH Flags", "Fwd URG Flags", "Bwd URG Flags",
	"Fwd Header Length", "Bwd Header Length", "Fwd Packets/s", "Bwd Packets/s",
	"Packet Length Min", "Packet Length Max", "Packet Length Mean", "Packet Length Std", "Packet Length Variance",
	"FIN Flag Count", "SYN Flag Count", "RST Flag Count", "PSH Flag Count",
	"ACK Flag Count", "URG Flag Count", "CWR Flag Count", "ECE Flag Count",
	"Down/Up Ratio", "Average Packet Size", "Fwd Segment Size Avg", "Bwd Segment Size Avg",
	"Fwd Bytes/Bulk Avg", "Fwd Packet/Bulk Avg", "Fwd Bulk Rate Avg",
	"Bwd Bytes/Bulk Avg", "Bwd Packet/Bulk Avg", "Bwd Bulk Rate Avg",
	"Subflow Fwd Packets", "Subflow Fwd Bytes", "Subflow Bwd Packets", "Subflow Bwd Bytes",
	"FWD Init Win Bytes", "Bwd Init Win Bytes", "Fwd Act Data Pkts", "Fwd Seg Size Min",
	"Active Mean", "Active Std", "Active Max", "Active Min",
	"Idle Mean", "Idle Std", "Idle Max", "Idle Min",
	"Label",
}

// NumColumns is the number of CICFlowMeter columns, Label included.
const NumColumns = len(columns)

// Header returns CICFlowMeter's column names in order, Label last.
func Header() []string { return append([]string(nil), columns[:]...) }

// TimeLayout is CICFlowMeter's "dd/MM/yyyy hh:mm:ss a" in Go's notation.
const TimeLayout = "02/01/2006 03:04:05 PM"

// Our feature names the columns are computed from. Each is looked up once.
const (
	fPackets = iota
	bPackets
	fPayload
	bPayload
	fPayMax
	fPayMin
	fPayMean
	fPayStd
	bPayMax
	bPayMin
	bPayMean
	bPayStd
	iatMean
	iatStd
	iatMax
	iatMin
	fIATMean
	fIATStd
	fIATMax
	fIATMin
	bIATMean
	bIATStd
	bIATMax
	bIATMin
	fPSH
	bPSH
	fURG
	bURG
	fL4Header
	bL4Header
	finCount
	synCount
	rstCount
	pshCount
	ackCount
	urgCount
	cwrCount
	eceCount
	downUp
	fBulkBytes
	fBulkPackets
	fBulkRate
	bBulkBytes
	bBulkPackets
	bBulkRate
	subflows
	fSubflowPackets
	bSubflowPackets
	fInitWin
	bInitWin
	fPayloadPackets
	fMinL4Header
	activeMean
	activeStd
	activeMax
	activeMin
	idleMean
	idleStd
	idleMax
	idleMin
	numInputs
)

var inputNames = [numInputs]string{
	"src2dst_packets", "dst2src_packets", "src2dst_payload_bytes", "dst2src_payload_bytes",
	"src2dst_max_payload_ps", "src2dst_min_payload_ps", "src2dst_mean_payload_ps", "src2dst_stddev_payload_ps",
	"dst2src_max_payload_ps", "dst2src_min_payload_ps", "dst2src_mean_payload_ps", "dst2src_stddev_payload_ps",
	"bidirectional_mean_piat_ms", "bidirectional_stddev_piat_ms", "bidirectional_max_piat_ms", "bidirectional_min_piat_ms",
	"src2dst_mean_piat_ms", "src2dst_stddev_piat_ms", "src2dst_max_piat_ms", "src2dst_min_piat_ms",
	"dst2src_mean_piat_ms", "dst2src_stddev_piat_ms", "dst2src_max_piat_ms", "dst2src_min_piat_ms",
	"src2dst_psh_packets", "dst2src_psh_packets", "src2dst_urg_packets", "dst2src_urg_packets",
	"src2dst_l4_header_bytes", "dst2src_l4_header_bytes",
	"bidirectional_fin_packets", "bidirectional_syn_packets", "bidirectional_rst_packets", "bidirectional_psh_packets",
	"bidirectional_ack_packets", "bidirectional_urg_packets", "bidirectional_cwr_packets", "bidirectional_ece_packets",
	"down_up_packets_ratio",
	"src2dst_bulk_bytes_avg", "src2dst_bulk_packets_avg", "src2dst_bulk_rate",
	"dst2src_bulk_bytes_avg", "dst2src_bulk_packets_avg", "dst2src_bulk_rate",
	"subflow_count", "src2dst_subflow_packets", "dst2src_subflow_packets",
	"src2dst_init_win_bytes", "dst2src_init_win_bytes", "src2dst_payload_packets", "src2dst_min_l4_header_bytes",
	"active_mean_ms", "active_stddev_ms", "active_max_ms", "active_min_ms",
	"idle_mean_ms", "idle_stddev_ms", "idle_max_ms", "idle_min_ms",
}

// Writer computes CIC rows from records of one schema.
type Writer struct {
	idx [numInputs]int
}

// New binds the writer to schema's feature positions; it fails when the
// schema lacks a feature a column needs (an older feature set).
func New(schema *features.Schema) (*Writer, error) {
	w := &Writer{}
	for i, n := range inputNames {
		w.idx[i] = schema.Index(n)
		if w.idx[i] < 0 {
			return nil, fmt.Errorf("cic columns need feature %s, which %s lacks", n, features.Version)
		}
	}
	return w, nil
}

// numeric is the number of numeric columns, Flow Duration to Idle Min.
const numeric = 76

// firstNumeric is Flow Duration's position in the header.
const firstNumeric = 7

// timeColumn marks the numeric columns that are times, written in µs
// rounded to the nanosecond.
var timeColumn = func() (t [numeric]bool) {
	for i, c := range columns[firstNumeric : firstNumeric+numeric] {
		t[i] = c == "Flow Duration" || strings.Contains(c, "IAT") || strings.HasPrefix(c, "Active") || strings.HasPrefix(c, "Idle")
	}
	return t
}()

// AppendRow appends r's CIC columns, comma-separated, ending with label
// in the Label column; no newline.
func (w *Writer) AppendRow(dst []byte, r *features.Record, label string) []byte {
	dst = appendFlowID(dst, r)
	dst = append(dst, ',')
	dst = r.Src.AppendTo(dst)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, uint64(r.SrcPort), 10)
	dst = append(dst, ',')
	dst = r.Dst.AppendTo(dst)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, uint64(r.DstPort), 10)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, uint64(r.Proto), 10)
	dst = append(dst, ',')
	// CICFlowMeter truncates the start to the millisecond before formatting.
	dst = time.UnixMilli(r.First/1e6).UTC().AppendFormat(dst, TimeLayout)
	var v [numeric]float64
	w.numbers(&v, r)
	for _, x := range v {
		dst = append(dst, ',')
		dst = appendNumber(dst, x)
	}
	dst = append(dst, ',')
	return features.AppendField(dst, label)
}

// numbers computes the numeric columns in header order.
func (w *Writer) numbers(out *[numeric]float64, r *features.Record) {
	w.numbersFrom(out, r.Values, float64(max(r.Last-r.First, 0)))
}

// numbersFrom is numbers over schema-ordered values and the flow's
// duration in nanoseconds.
func (w *Writer) numbersFrom(out *[numeric]float64, values []float64, durNS float64) {
	v := func(i int) float64 { return values[w.idx[i]] }
	np, nb := v(fPackets), v(bPackets)
	n := np + nb
	pf, pb := v(fPayload), v(bPayload)
	k := 0
	num := func(x float64) { out[k] = clean(x); k++ }
	us := func(ms float64) { num(ms * 1e3) }
	usStd := func(ms, cnt float64) { us(sampleStd(ms, cnt)) }

	num(durNS / 1e3)
	num(np)
	num(nb)
	num(pf)
	num(pb)
	num(v(fPayMax))
	num(v(fPayMin))
	num(v(fPayMean))
	num(sampleStd(v(fPayStd), np))
	num(v(bPayMax))
	num(v(bPayMin))
	num(v(bPayMean))
	num(sampleStd(v(bPayStd), nb))
	num(perSecond(pf+pb, durNS))
	num(perSecond(n, durNS))
	us(v(iatMean))
	usStd(v(iatStd), n-1)
	us(v(iatMax))
	us(v(iatMin))
	us(v(fIATMean) * max(np-1, 0))
	us(v(fIATMean))
	usStd(v(fIATStd), np-1)
	us(v(fIATMax))
	us(v(fIATMin))
	us(v(bIATMean) * max(nb-1, 0))
	us(v(bIATMean))
	usStd(v(bIATStd), nb-1)
	us(v(bIATMax))
	us(v(bIATMin))
	num(v(fPSH))
	num(v(bPSH))
	num(v(fURG))
	num(v(bURG))
	num(v(fL4Header))
	num(v(bL4Header))
	num(perSecond(np, durNS))
	num(perSecond(nb, durNS))

	// Both directions' payload lengths pooled from the per-direction
	// moments (Chan et al.): min, max, mean, then CIC's sample variance.
	lo, hi := v(fPayMin), v(fPayMax)
	if nb > 0 {
		if np == 0 {
			lo, hi = v(bPayMin), v(bPayMax)
		} else {
			lo, hi = min(lo, v(bPayMin)), max(hi, v(bPayMax))
		}
	}
	var mean, popVar float64
	if n > 0 {
		mean = (pf + pb) / n
		df, db := v(fPayMean)-mean, v(bPayMean)-mean
		sf, sb := v(fPayStd), v(bPayStd)
		popVar = (np*(sf*sf+df*df) + nb*(sb*sb+db*db)) / n
	}
	sampleVar := 0.0
	if n > 1 {
		sampleVar = max(popVar*n/(n-1), 0)
	}
	num(lo)
	num(hi)
	num(mean)
	num(math.Sqrt(sampleVar))
	num(sampleVar)

	for i := finCount; i <= eceCount; i++ {
		num(v(i))
	}
	num(v(downUp))
	num(ratio(pf+pb, n))
	num(ratio(pf, np))
	num(ratio(pb, nb))
	for i := fBulkBytes; i <= bBulkRate; i++ {
		num(v(i))
	}
	sf := v(subflows)
	num(v(fSubflowPackets))
	num(ratio(pf, sf))
	num(v(bSubflowPackets))
	num(ratio(pb, sf))
	num(v(fInitWin))
	num(v(bInitWin))
	num(v(fPayloadPackets))
	num(v(fMinL4Header))
	us(v(activeMean))
	us(v(activeStd))
	us(v(activeMax))
	us(v(activeMin))
	us(v(idleMean))
	us(v(idleStd))
	us(v(idleMax))
	us(v(idleMin))
	// Times to the nanosecond: ms × 1000 leaves binary noise
	// (1999.9999999999998) in the last digits.
	for i := range out {
		if timeColumn[i] {
			out[i] = math.Round(out[i]*1e3) / 1e3
		}
	}
}

// appendFlowID builds CICFlowMeter's flow id: the two ends in the order
// of their addresses compared byte by byte as Java's signed bytes (lower
// first; the first packet's order when equal), then the protocol.
func appendFlowID(dst []byte, r *features.Record) []byte {
	// IPv4 addresses map to ::ffff:a.b.c.d; the shared prefix does not
	// change which byte differs first.
	a, b := r.Src.As16(), r.Dst.As16()
	src, dst2 := r.Src, r.Dst
	sp, dp := r.SrcPort, r.DstPort
	for i := range a {
		if a[i] != b[i] {
			if int8(a[i]) > int8(b[i]) {
				src, dst2, sp, dp = dst2, src, dp, sp
			}
			break
		}
	}
	dst = src.AppendTo(dst)
	dst = append(dst, '-')
	dst = dst2.AppendTo(dst)
	dst = append(dst, '-')
	dst = strconv.AppendUint(dst, uint64(sp), 10)
	dst = append(dst, '-')
	dst = strconv.AppendUint(dst, uint64(dp), 10)
	dst = append(dst, '-')
	return strconv.AppendUint(dst, uint64(r.Proto), 10)
}

// sampleStd turns a population standard deviation over k values into the
// sample (n-1) one CICFlowMeter reports (commons-math SummaryStatistics);
// 0 for fewer than two values.
func sampleStd(pop, k float64) float64 {
	if k < 2 {
		return 0
	}
	return pop * math.Sqrt(k/(k-1))
}

// perSecond is n per second over durNS; 0 for a zero duration, where
// CICFlowMeter writes Infinity or NaN.
func perSecond(n, durNS float64) float64 {
	if durNS <= 0 {
		return 0
	}
	return n / (durNS / 1e9)
}

// appendNumber writes integers without a decimal point and other values
// in the shortest form that reads back exactly, never in exponent form
// (3756384.75, not 3.75638475e+06), as CICFlowMeter's CSVs hold them.
func appendNumber(b []byte, v float64) []byte {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func clean(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

// CSVWriter streams CIC rows under the header, plus the caller's extra
// columns after Label (classify adds Score).
type CSVWriter struct {
	features.RowWriter
	row   *Writer
	extra int
	buf   []byte
}

// NewCSVWriter writes the header at once, so even an empty run leaves a
// loadable file.
func NewCSVWriter(w io.Writer, schema *features.Schema, extra ...string) (*CSVWriter, error) {
	row, err := New(schema)
	if err != nil {
		return nil, err
	}
	c := &CSVWriter{RowWriter: features.NewRowWriter(w), row: row, extra: len(extra)}
	for i, h := range append(Header(), extra...) {
		if i > 0 {
			c.buf = append(c.buf, ',')
		}
		c.buf = features.AppendField(c.buf, h)
	}
	c.buf = append(c.buf, '\n')
	if err := c.WriteRow(c.buf); err != nil {
		return nil, fmt.Errorf("csv header: %w", err)
	}
	return c, nil
}

// Write appends one row; the first error sticks.
func (c *CSVWriter) Write(r *features.Record, label string, extra ...string) error {
	if err := c.Err(); err != nil {
		return err
	}
	if len(extra) != c.extra {
		return fmt.Errorf("csv: %d extra values for %d extra columns", len(extra), c.extra)
	}
	b := c.row.AppendRow(c.buf[:0], r, label)
	for _, x := range extra {
		b = append(b, ',')
		b = features.AppendField(b, x)
	}
	b = append(b, '\n')
	c.buf = b
	return c.WriteRow(b)
}

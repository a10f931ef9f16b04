// Command bench runs one stage of the flow meter over a capture, for
// scripts/bench.sh to time against the bare read loop and against peers:
//
//	bench pcapgo FILE    pcapgo's zero-copy read loop and nothing else: the
//	                     reference limit the ratios are taken to
//	bench read FILE      our read loop (classic pcap parsed in place)
//	bench decode FILE    read and decode every packet
//	bench extract FILE   the whole extraction, flows written as CSV to /dev/null
//	bench extract2 FILE  the same through the pipeline with 2 workers (flows
//	                     sharded by a symmetric hash, output in expiry
//	                     order), no model
//
// It prints the packets it saw, so the script can check every stage read all.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"

	"github.com/flowclass/flowclass/capture"
	"github.com/flowclass/flowclass/decode"
	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
	"github.com/flowclass/flowclass/meter"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: bench pcapgo|read|decode|extract|extract2 FILE")
		os.Exit(2)
	}
	n, err := run(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(n)
}

func run(stage, path string) (uint64, error) {
	switch stage {
	case "pcapgo":
		return pcapgoLoop(path)
	case "read", "decode":
		f, err := capture.OpenFile(path)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		d := decode.NewDecoder()
		var p decode.Packet
		var rec capture.Record
		var n uint64
		for {
			err := f.Next(&rec)
			if err == io.EOF {
				return n, nil
			}
			if err != nil {
				return n, err
			}
			if stage == "decode" {
				d.Decode(rec.Data, rec.Length, rec.Timestamp.UnixNano(), rec.LinkType, &p)
			}
			n++
		}
	case "extract":
		schema, w, done, err := csvToNull()
		if err != nil {
			return 0, err
		}
		defer done()
		e := features.NewExtractor(schema, flow.Config{}, func(r *features.Record) { w.Write(r) }, 1, 1)
		res := meter.ReadFiles([]string{path}, e, nil)
		if err := meter.Errors(res); err != nil {
			return 0, err
		}
		return e.Counters().Read, w.Flush()
	case "extract2":
		schema, w, done, err := csvToNull()
		if err != nil {
			return 0, err
		}
		defer done()
		sum, err := meter.Run(context.Background(), []meter.Input{{Path: path, Name: path}},
			meter.Options{Schema: schema, Workers: 2}, func(ev *meter.Event) {
				if ev.Kind == meter.FlowEnd {
					w.Write(&ev.Record)
				}
			})
		if err != nil {
			return 0, err
		}
		return sum.Counters.Read, w.Flush()
	}
	return 0, fmt.Errorf("unknown stage %q", stage)
}

// csvToNull is what both extraction stages write to: the default schema's
// CSV, formatted in full and thrown away. done closes the output.
func csvToNull() (*features.Schema, *features.CSVWriter, func(), error) {
	schema, err := features.NewSchema(features.Config{})
	if err != nil {
		return nil, nil, nil, err
	}
	out, err := os.Create(os.DevNull)
	if err != nil {
		return nil, nil, nil, err
	}
	w, err := features.NewCSVWriter(out, schema)
	if err != nil {
		out.Close()
		return nil, nil, nil, err
	}
	return schema, w, func() { out.Close() }, nil
}

// pcapgoLoop reads the file with pcapgo's zero-copy reader from a 1 MiB
// buffer, as capture.File did before it parsed classic pcap itself.
func pcapgoLoop(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	head, err := br.Peek(4)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	var r interface {
		ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	if binary.LittleEndian.Uint32(head) == 0x0a0d0d0a {
		r, err = pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
	} else {
		r, err = pcapgo.NewReader(br)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	var n uint64
	for {
		_, _, err := r.ZeroCopyReadPacketData()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

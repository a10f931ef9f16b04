package main

import "github.com/flowclass/flowclass/decode"

func decodeReason(i int) string { return decode.Reason(i).String() }

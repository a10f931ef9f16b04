//go:build !unix

package main

import "io"

func (c *Config) onUSR1(io.Writer, *status) func() { return func() {} }

func ignoreSIGPIPE() {}

// Package flow assembles decoded packets into bidirectional flows: a
// symmetric key, the direction rule, and a table that expires flows on idle
// and active timeouts, TCP teardown, eviction and end of input, all on
// packet time. What a flow measures lives in package features.
package flow

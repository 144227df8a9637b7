// Package scs holds the Sovereign Cloud Stack IaaS standards that need no
// running cloud, as code: the flavor naming grammar of SCS-0100 (parser,
// validator and the inverse generator), the standard flavors of SCS-0103
// with a checker for existing flavors, and the image rules of SCS-0102
// (metadata) and SCS-0104 (standard images) with a checker for image
// properties.
//
// Where the standards' prose and the official conformance tests
// (SovereignCloudStack/standards, Tests/iaas) disagree, the package follows
// the tests, because they decide certification; the prose-only rules are
// reported as warnings. docs/scs.md lists what is implemented per standard
// and version.
package scs

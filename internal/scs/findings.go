package scs

// Level says how much a finding matters.
type Level string

const (
	// Error fails a testcase of the certificate's main target.
	Error Level = "error"
	// Warning fails a recommended testcase, or a rule of the standard's
	// text that the tests do not check.
	Warning Level = "warning"
	// Info is a remark: something was not checked, and why.
	Info Level = "info"
)

// Finding is one problem found in a flavor or an image.
type Finding struct {
	Subject  string `json:"subject"`            // flavor or image name
	Testcase string `json:"testcase,omitempty"` // id as in Tests/scs-compatible-iaas.yaml
	Level    Level  `json:"level"`
	Field    string `json:"field,omitempty"` // property or extra spec
	Message  string `json:"message"`
}

// Count returns how many findings have each level.
func Count(fs []Finding) (errors, warnings int) {
	for _, f := range fs {
		switch f.Level {
		case Error:
			errors++
		case Warning:
			warnings++
		}
	}
	return errors, warnings
}

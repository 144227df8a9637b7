package validate

import "strconv"

// indexed builds the Meta path of a list element, "roles[1]".
func indexed(key string, i int) string { return key + "[" + strconv.Itoa(i) + "]" }

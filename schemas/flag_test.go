package schemas

import "flag"

var update = flag.Bool("update", false, "rewrite the shipped schema files")

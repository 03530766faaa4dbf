package writer

import (
	"fmt"

	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

// bucketKey names a bucket of a step: its directory, and, for schemas with footer metadata (a
// topic read through a schema registry, one schema per writer schema id), the schema, so that a
// new writer schema opens a new file in the same directory instead of mixing columns in one.
func bucketKey(dir string, s *schema.Schema) string {
	if len(s.Footer()) == 0 {
		return dir
	}
	return fmt.Sprintf("%s\x00%p", dir, s)
}

"""Checks a JSON document (stdin) against a JSON Schema (argv[1]) with the jsonschema
package, an implementation independent of Doable's. Prints every error; exit 1 if any."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1], encoding="utf-8"))
jsonschema.Draft202012Validator.check_schema(schema)
document = json.load(sys.stdin)
validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
for error in errors:
    print(f"{'/'.join(map(str, error.path))}: {error.message}")
sys.exit(1 if errors else 0)

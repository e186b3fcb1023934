"""Can the embedded engine run these pipelines' transforms? Asked by the broker at pipeline load.

    .venv/bin/python spark-apps/embedded_check.py < pipelines.json

stdin: a JSON list of {"pipeline": name, "transform": {...}, "parameters": {name: declared},
"columns": {name: type}, "conf": {key: value}} (transform as in the run spec; parameters: the
pipeline's declarations, {"type": "string"|"number"|"boolean", …}; columns: input.columns;
conf: engine.conf). columns and conf may be left out: then a derived column named as an input
column is caught only when its expression reads that name, concat/|| of a column is refused
(its type is not known), and no setting is checked.
stdout: a JSON list in the same order of {"pipeline": name, "ok": true} or
{"pipeline": name, "ok": false, "reason": "filter: cannot translate '…' for the embedded engine: …"}
(or "engine.conf: cannot translate 'spark.sql.session.timeZone: Europe/Paris' for the embedded engine: …").
Exit 0 whenever the answer was written; 2 when stdin is not such a list. Imports no pyspark,
so it answers in well under a second.
"""

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sluice_embedded.translate import TranslationError, check_engine_conf, check_transform, transform_parameters  # noqa: E402
from sluice_spark.spec import parse_transform  # noqa: E402


def check_pipeline(entry: dict[str, Any]) -> dict[str, Any]:
    name = entry.get("pipeline")
    try:
        transform = parse_transform(entry["transform"])
        columns = entry.get("columns")
        declared_types = {name: declared.get("type") for name, declared in (entry.get("parameters") or {}).items() if isinstance(declared, dict)}
        check_transform(transform, None if columns is None else dict(columns), {name: kind for name, kind in declared_types.items() if kind})
        check_engine_conf(entry.get("conf") or {})
        declared = set(entry.get("parameters") or {})
        undeclared = sorted(transform_parameters(transform) - declared)
        if undeclared:
            return {"pipeline": name, "ok": False, "reason": f"transform: parameter :{undeclared[0]} is not declared"}
    except TranslationError as error:
        return {"pipeline": name, "ok": False, "reason": str(error)}
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        return {"pipeline": name, "ok": False, "reason": f"transform: not a transform the embedded engine knows ({error})"}
    return {"pipeline": name, "ok": True}


def main() -> int:
    try:
        entries = json.load(sys.stdin)
        if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
            raise ValueError("expected a JSON list of objects")
    except ValueError as error:
        print(f"embedded_check: stdin: {error}", file=sys.stderr)
        return 2
    json.dump([check_pipeline(entry) for entry in entries], sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

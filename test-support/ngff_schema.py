# Shared by Python peers (prepended to their scripts): validate NGFF attributes against the spec's JSON
# schemas (../shared/data/ngff-spec/<version>/schemas), resolving the schemas' references to each other.
import glob as _glob
import json as _json
import os as _os

import jsonschema as _jsonschema
import referencing as _referencing
import referencing.jsonschema as _rjs


def ngff_check(spec_root, version, name, attrs):
    """'ok', or the schema name and the first error."""
    spec = _os.path.join(spec_root, version, "schemas")
    res = []
    for f in _glob.glob(_os.path.join(spec, "*.schema")):
        doc = _json.load(open(f))
        res.append((doc["$id"], _rjs.DRAFT202012.create_resource(doc)))
    reg = _referencing.Registry().with_resources(res)
    try:
        schema = _json.load(open(_os.path.join(spec, name)))
        _jsonschema.Draft202012Validator(schema, registry=reg).validate(attrs)
        return "ok"
    except Exception as e:  # noqa: BLE001 - the message is the result
        return name + ": " + str(e)[:300]

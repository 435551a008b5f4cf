#!/usr/bin/python3
"""Checks STIX 2.1 bundles against the OASIS JSON schemas.

  stix_schema_check.py SCHEMA_DIR BUNDLE          validate every object
  stix_schema_check.py --same BUNDLE_A BUNDLE_B   same objects, same order

Objects of custom types are checked against the common core schemas.
Exit status 0 when all is well, 1 otherwise; each failure is printed.
"""
import json
import os
import sys

import jsonschema

KINDS = ("sdos", "sros", "observables", "common")
META = ("marking-definition", "language-content", "extension-definition")


def load_schemas(root):
    store, by_type = {}, {}
    for kind in KINDS:
        folder = os.path.join(root, "schemas", kind)
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                schema = json.load(f)
            store[schema["$id"]] = schema
            stem = name[:-len(".json")]
            if kind != "common" or stem in META:
                by_type[stem] = schema
            if kind == "common" and stem in ("core", "cyber-observable-core"):
                by_type["@" + stem] = schema
    return store, by_type


def validator_for(schema, store):
    resolver = jsonschema.RefResolver(schema["$id"], schema, store=store)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, resolver=resolver)


def check(schema_dir, bundle_path):
    store, by_type = load_schemas(schema_dir)
    validators = {}
    with open(bundle_path, encoding="utf-8") as f:
        bundle = json.load(f)
    objects = bundle.get("objects", [])
    failures = 0
    for obj in objects:
        t = obj.get("type")
        key = t if t in by_type else (
            "@core" if "created" in obj else "@cyber-observable-core")
        if key not in validators:
            validators[key] = validator_for(by_type[key], store)
        errors = list(validators[key].iter_errors(obj))
        for e in errors[:3]:
            path = "/".join(str(p) for p in e.absolute_path)
            print(f"{obj.get('id')}: {path}: {e.message[:300]}")
        failures += bool(errors)
    print(f"{len(objects)} objects checked, {failures} invalid")
    return 1 if failures or not objects else 0


def same(a_path, b_path):
    with open(a_path, encoding="utf-8") as f:
        a = json.load(f).get("objects", [])
    with open(b_path, encoding="utf-8") as f:
        b = json.load(f).get("objects", [])
    if a == b:
        print(f"{len(a)} objects, identical")
        return 0
    print(f"objects differ: {len(a)} against {len(b)}")
    for x, y in zip(a, b):
        if x != y:
            print("first difference:", x.get("id"), y.get("id"))
            break
    return 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--same":
        sys.exit(same(sys.argv[2], sys.argv[3]))
    if len(sys.argv) == 3:
        sys.exit(check(sys.argv[1], sys.argv[2]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)

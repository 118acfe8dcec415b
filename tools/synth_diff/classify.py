"""Classifies the difference between two synthesized templates of one stack: security-relevant
changes, replaced/removed/added resources, changed properties, and code or model changes.

Pure: templates (and optionally the two cloud assembly folders, to compare asset contents) in,
a `StackDiff` out. Resources pair the way CloudFormation pairs them: by logical id; a resource
whose logical id changed for the same construct path (`aws:cdk:path` metadata) is paired too,
and is a replacement (CloudFormation creates the new id and deletes the old one), except for
types named by a digest of their content (Lambda versions, API deployments), where a new id
is how a new version is published. References (`Ref`, `Fn::GetAtt`, `${...}` in `Fn::Sub`)
are compared by the construct path they point at, so a renamed version does not make every
resource that refers to it look changed; 64-hex asset hashes are compared as "an asset", so a
code or model change is summarised per function instead of showing as property noise.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.synth_diff import rules

ASSET_HASH = re.compile(r"[0-9a-f]{64}")
SUB_REFERENCE = re.compile(r"\$\{([A-Za-z0-9]+)((?:\.[A-Za-z0-9_]+)*)\}")
MAX_VALUE_CHARS = 160
MAX_LISTED_FILES = 8


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class PropertyChange:
    path: str  # e.g. "MemorySize", "Environment.Variables.FOO", "Layers[0]"
    old: Any
    new: Any

    def describe(self) -> str:
        if self.old is ABSENT:
            return f"{self.path}: added {show(self.new)}"
        if self.new is ABSENT:
            return f"{self.path}: removed (was {show(self.old)})"
        return f"{self.path}: {show(self.old)} → {show(self.new)}"


@dataclass
class ResourceChange:
    kind: str  # "added" | "removed" | "replaced" | "changed"
    resource_type: str
    path: str  # construct path inside the stack, e.g. "Predictor/Function"
    logical_id: str
    new_logical_id: str | None = None  # set when the logical id changed
    changes: list[PropertyChange] = field(default_factory=list)  # not security-relevant
    security: list[str] = field(default_factory=list)  # security-relevant, described
    replacement_reasons: list[str] = field(default_factory=list)
    deletion_policy: str | None = None  # of the resource that goes (removed or replaced)
    data: str | None = None  # what a data-bearing resource holds (rules.DATA_BEARING)

    @property
    def ids(self) -> str:
        if self.new_logical_id and self.new_logical_id != self.logical_id:
            return f"{self.logical_id} → {self.new_logical_id}"
        return self.logical_id

    @property
    def loss_warning(self) -> str | None:
        """For a data-bearing resource that goes away: what happens to its data."""
        if self.data is None or self.kind not in ("removed", "replaced"):
            return None
        if self.deletion_policy in ("Retain", "RetainExceptOnCreate", "Snapshot"):
            return f"the old one is RETAINED (orphaned, no longer managed) with its {self.data}"
        return f"its {self.data} are DELETED with it"


@dataclass
class CodeChange:
    """A function whose code, image or model layer changed (or which publishes a new version)."""

    path: str
    name: str
    items: list[str] = field(default_factory=list)
    content_changed: bool = False  # False: only hashes changed, the assets' files are identical


@dataclass
class StackDiff:
    stack: str
    status: str  # "added" | "removed" | "changed" | "unchanged"
    resources: list[ResourceChange] = field(default_factory=list)
    code: list[CodeChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # outputs, parameters, other template sections
    cdk_diff: str = ""

    @property
    def security(self) -> list[ResourceChange]:
        return [r for r in self.resources if r.security]

    @property
    def replaced_or_removed(self) -> list[ResourceChange]:
        return [r for r in self.resources if r.kind in ("replaced", "removed")]

    @property
    def added(self) -> list[ResourceChange]:
        return [r for r in self.resources if r.kind == "added"]

    @property
    def changed(self) -> list[ResourceChange]:
        return [r for r in self.resources if r.kind == "changed" and r.changes]

    @property
    def has_changes(self) -> bool:
        return bool(self.resources or self.code or self.notes or self.status in ("added", "removed"))


# ---------------------------------------------------------------------------- formatting


def render_intrinsics(value: Any) -> Any:
    """References as `${path}` / `${path.Attr}` strings, joins as strings: readable values."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref" and isinstance(arg, str):
            return "${" + arg + "}"
        if key == "Fn::GetAtt":
            parts = arg if isinstance(arg, list) else str(arg).split(".", 1)
            return "${" + ".".join(str(p) for p in parts) + "}"
        if key == "Fn::Sub":
            return arg if isinstance(arg, str) else render_intrinsics(arg[0])
        if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
            parts = [render_intrinsics(p) for p in arg[1]]
            if all(isinstance(p, str) for p in parts):
                return str(arg[0]).join(parts)
    if isinstance(value, dict):
        return {k: render_intrinsics(v) for k, v in value.items()}
    if isinstance(value, list):
        return [render_intrinsics(v) for v in value]
    return value


def show(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    text = json.dumps(render_intrinsics(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _listing(value: Any) -> str:
    value = render_intrinsics(value)
    if isinstance(value, list):
        return ", ".join(v if isinstance(v, str) else show(v) for v in value)
    return value if isinstance(value, str) else show(value)


# An IAM statement's keys in the order they are described, each with its prefix and rendering.
STATEMENT_PARTS: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("Action", "", _listing),
    ("NotAction", "NOT ", _listing),
    ("Resource", "on ", _listing),
    ("NotResource", "on NOT ", _listing),
    ("Principal", "for ", show),
    ("NotPrincipal", "for NOT ", show),
    ("Condition", "when ", show),
)


def describe_statement(statement: Any) -> str:
    if not isinstance(statement, dict):
        return show(statement)
    parts = [str(statement.get("Effect", "?"))]
    parts += [prefix + render(statement[key]) for key, prefix, render in STATEMENT_PARTS if key in statement]
    return " ".join(parts)


# ---------------------------------------------------------------------------- normalizing


def construct_path(stack: str, logical_id: str, resource: dict[str, Any]) -> str:
    path = (resource.get("Metadata") or {}).get("aws:cdk:path")
    if not isinstance(path, str):
        return logical_id
    if path.startswith(stack + "/"):
        path = path[len(stack) + 1 :]
    return path.removesuffix("/Resource").removesuffix("/Default")


def normalize_references(value: Any, ids: dict[str, str]) -> Any:
    """Every reference to a resource of the template, by that resource's construct path."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref" and isinstance(arg, str):
                return {"Ref": ids.get(arg, arg)}
            if key == "Fn::GetAtt":
                parts = list(arg) if isinstance(arg, list) else str(arg).split(".", 1)
                if parts and isinstance(parts[0], str):
                    parts[0] = ids.get(parts[0], parts[0])
                return {"Fn::GetAtt": [normalize_references(p, ids) for p in parts]}
            if key == "Fn::Sub":
                if isinstance(arg, str):
                    return {"Fn::Sub": _sub(arg, ids)}
                if isinstance(arg, list) and arg and isinstance(arg[0], str):
                    return {"Fn::Sub": [_sub(arg[0], ids), *normalize_references(arg[1:], ids)]}
        return {k: normalize_references(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize_references(v, ids) for v in value]
    return value


def _sub(text: str, ids: dict[str, str]) -> str:
    return SUB_REFERENCE.sub(lambda m: "${" + ids.get(m.group(1), m.group(1)) + m.group(2) + "}", text)


def without_asset_hashes(value: Any) -> Any:
    if isinstance(value, str):
        return ASSET_HASH.sub("<asset>", value)
    if isinstance(value, dict):
        return {k: without_asset_hashes(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_asset_hashes(v) for v in value]
    return value


def property_changes(old: Any, new: Any, path: str = "") -> Iterator[PropertyChange]:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            yield from property_changes(old.get(key, ABSENT), new.get(key, ABSENT), f"{path}.{key}" if path else key)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (o, n) in enumerate(zip(old, new, strict=True)):
            yield from property_changes(o, n, f"{path}[{index}]")
    else:
        yield PropertyChange(path, old, new)


def top_property(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def statements(value: Any) -> list[Any]:
    """Every IAM statement inside a value (a policy document, a role's inline policies...)."""
    found: list[Any] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Statement":
                found.extend(item if isinstance(item, list) else [item])
            else:
                found.extend(statements(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(statements(item))
    return found


def _canonical(value: Any) -> str:
    def sort_lists(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: sort_lists(x) for k, x in v.items()}
        if isinstance(v, list):
            return sorted((sort_lists(x) for x in v), key=lambda x: json.dumps(x, sort_keys=True))
        return v

    return json.dumps(sort_lists(value), sort_keys=True)


def statement_changes(old: Any, new: Any) -> list[str]:
    old_statements = {_canonical(s): s for s in statements(old)}
    new_statements = {_canonical(s): s for s in statements(new)}
    lines = [f"- {describe_statement(s)}" for key, s in old_statements.items() if key not in new_statements]
    lines += [f"+ {describe_statement(s)}" for key, s in new_statements.items() if key not in old_statements]
    return lines


# ---------------------------------------------------------------------------- assets


def asset_files(assembly: Path | None, resource: dict[str, Any]) -> dict[str, str] | None:
    """Relative path -> sha256 of every file of the resource's staged asset, or None."""
    asset = (resource.get("Metadata") or {}).get("aws:asset:path")
    if assembly is None or not isinstance(asset, str):
        return None
    root = assembly / asset
    if root.is_file():
        return {root.name: hashlib.sha256(root.read_bytes()).hexdigest()}
    if not root.is_dir():
        return None
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def asset_content_note(old_files: dict[str, str] | None, new_files: dict[str, str] | None) -> tuple[str, bool]:
    """A short description of how two staged assets differ, and whether their files do."""
    if old_files is None or new_files is None:
        return "", True
    if old_files == new_files:
        return "files identical: only the hash changed (bundling options differ, e.g. the checkout path)", False
    changed = sorted(k for k in set(old_files) | set(new_files) if old_files.get(k) != new_files.get(k))
    marks = [
        ("+" if k not in old_files else "-" if k not in new_files else "~") + k for k in changed[:MAX_LISTED_FILES]
    ]
    more = f" (+{len(changed) - MAX_LISTED_FILES} more)" if len(changed) > MAX_LISTED_FILES else ""
    return f"{len(changed)} file(s) differ: {', '.join(marks)}{more}", True


def _asset_hash(resource: dict[str, Any]) -> str | None:
    match = ASSET_HASH.search(json.dumps(resource.get("Properties", {})))
    return match.group(0)[:8] if match else None


# ---------------------------------------------------------------------------- comparing


def compare_templates(
    stack: str,
    old_template: dict[str, Any] | None,
    new_template: dict[str, Any] | None,
    *,
    old_assembly: Path | None = None,
    new_assembly: Path | None = None,
) -> StackDiff:
    """The classified difference of one stack; a missing template means the stack is added or
    removed on that side."""
    status = "added" if old_template is None else "removed" if new_template is None else "changed"
    old_t, new_t = old_template or {}, new_template or {}
    old_res = _resources(old_t)
    new_res = _resources(new_t)
    old_ids = {lid: construct_path(stack, lid, r) for lid, r in old_res.items()}
    new_ids = {lid: construct_path(stack, lid, r) for lid, r in new_res.items()}
    diff = StackDiff(stack=stack, status=status)

    pairs: list[tuple[str, str]] = []
    for lid in old_res.keys() & new_res.keys():
        if old_res[lid].get("Type") == new_res[lid].get("Type"):
            pairs.append((lid, lid))
    unpaired_old = [lid for lid in old_res if lid not in {p[0] for p in pairs}]
    unpaired_new = {lid for lid in new_res if lid not in {p[1] for p in pairs}}
    by_path = {(new_ids[lid], new_res[lid].get("Type")): lid for lid in unpaired_new}
    gone: list[str] = []
    for lid in unpaired_old:
        match = by_path.pop((old_ids[lid], old_res[lid].get("Type")), None)
        if match is not None and old_ids[lid] != lid:  # a real construct path, not the fallback
            pairs.append((lid, match))
            unpaired_new.discard(match)
        else:
            gone.append(lid)

    functions: dict[str, CodeChange] = {}  # by function construct path
    layer_notes: dict[str, tuple[str, bool]] = {}  # layer construct path -> note, content changed

    def code_change(function_path: str) -> CodeChange:
        if function_path not in functions:
            name = _function_name(new_res, new_ids, function_path) or _function_name(old_res, old_ids, function_path)
            functions[function_path] = CodeChange(path=function_path, name=name or function_path)
        return functions[function_path]

    for old_lid, new_lid in sorted(pairs, key=lambda p: new_ids[p[1]]):
        old_r, new_r = old_res[old_lid], new_res[new_lid]
        rtype = str(new_r.get("Type"))
        path = new_ids[new_lid]
        if old_lid != new_lid and rtype in rules.DIGEST_NAMED:
            owner = path.rsplit("/", 1)[0] if "/" in path else path
            if rtype == "AWS::Lambda::Version":
                code_change(owner).items.append(rules.DIGEST_NAMED[rtype])
            else:
                diff.notes.append(f"`{owner}` {rules.DIGEST_NAMED[rtype]} ({old_lid} → {new_lid})")
            continue
        change = ResourceChange(
            kind="changed", resource_type=rtype, path=path, logical_id=old_lid, new_logical_id=new_lid
        )
        old_props = normalize_references(old_r.get("Properties", {}), old_ids)
        new_props = normalize_references(new_r.get("Properties", {}), new_ids)
        asset_only: list[PropertyChange] = []
        security_props: dict[str, list[PropertyChange]] = {}
        for pc in property_changes(old_props, new_props):
            prop = top_property(pc.path)
            if without_asset_hashes(pc.old) == without_asset_hashes(pc.new):
                asset_only.append(pc)  # summarised as a code or model change
                continue
            if rules.is_security_property(rtype, prop):
                security_props.setdefault(prop, []).append(pc)
            else:
                change.changes.append(pc)
            if rules.requires_replacement(rtype, prop):
                change.replacement_reasons.append(f"{prop} changes")
        for attribute in ("DeletionPolicy", "UpdateReplacePolicy", "Condition"):
            if old_r.get(attribute) != new_r.get(attribute):
                change.changes.append(
                    PropertyChange(f"({attribute})", old_r.get(attribute, ABSENT), new_r.get(attribute, ABSENT))
                )
        for prop, pcs in security_props.items():
            change.security.extend(_security_lines(prop, old_props.get(prop, ABSENT), new_props.get(prop, ABSENT), pcs))
        if old_lid != new_lid:
            change.replacement_reasons.insert(0, "logical id changed for the same construct path")
        if asset_only:
            note, content_changed = asset_content_note(
                asset_files(old_assembly, old_r), asset_files(new_assembly, new_r)
            )
            hashes = f"asset {_asset_hash(old_r)} → {_asset_hash(new_r)}"
            described = f"{hashes}: {note}" if note else hashes
            if rtype == "AWS::Lambda::Function":
                kind = "image" if any("ImageUri" in pc.path for pc in asset_only) else "code"
                entry = code_change(path)
                entry.items.append(f"{kind} {described}")
                entry.content_changed |= content_changed
            elif rtype == "AWS::Lambda::LayerVersion":
                layer_notes[path] = (f"layer `{path}` {described}", content_changed)
            else:
                change.changes.extend(asset_only)
        change.replacement_reasons = list(dict.fromkeys(change.replacement_reasons))
        if change.replacement_reasons:
            change.kind = "replaced"
            change.deletion_policy = old_r.get("UpdateReplacePolicy") or old_r.get("DeletionPolicy")
            change.data = rules.DATA_BEARING.get(rtype)
        if change.changes or change.security or change.replacement_reasons:
            diff.resources.append(change)

    for lid in sorted(gone, key=lambda lid: old_ids[lid]):
        r = old_res[lid]
        rtype = str(r.get("Type"))
        change = ResourceChange(
            kind="removed",
            resource_type=rtype,
            path=old_ids[lid],
            logical_id=lid,
            deletion_policy=r.get("DeletionPolicy"),
            data=rules.DATA_BEARING.get(rtype),
        )
        if rtype in rules.SECURITY_ON_ADD_OR_REMOVE:
            change.security = [
                "removed",
                *_resource_summary(rtype, normalize_references(r.get("Properties", {}), old_ids), "-"),
            ]
        diff.resources.append(change)
    for lid in sorted(unpaired_new, key=lambda lid: new_ids[lid]):
        r = new_res[lid]
        rtype = str(r.get("Type"))
        change = ResourceChange(kind="added", resource_type=rtype, path=new_ids[lid], logical_id=lid)
        if rtype in rules.SECURITY_ON_ADD_OR_REMOVE:
            change.security = [
                "added",
                *_resource_summary(rtype, normalize_references(r.get("Properties", {}), new_ids), "+"),
            ]
        diff.resources.append(change)

    # A model layer's new content belongs to every function that mounts the layer.
    for layer_path, (note, content_changed) in layer_notes.items():
        users = [
            new_ids[lid]
            for lid, r in new_res.items()
            if r.get("Type") == "AWS::Lambda::Function"
            and {"Ref": layer_path} in normalize_references(r.get("Properties", {}).get("Layers", []), new_ids)
        ]
        for function_path in users or [layer_path]:
            entry = code_change(function_path)
            entry.items.append(note)
            entry.content_changed |= content_changed
    for entry in functions.values():
        if entry.items == [rules.DIGEST_NAMED["AWS::Lambda::Version"]]:
            entry.items = ["publishes a new version (its configuration changed; code unchanged)"]
    diff.code = sorted(functions.values(), key=lambda c: c.path)
    diff.notes.extend(_section_notes(old_t, new_t, old_ids, new_ids))
    if status == "changed" and not diff.has_changes:
        diff.status = "unchanged"
    return diff


def _resources(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in (template.get("Resources") or {}).items() if r.get("Type") not in rules.IGNORED_TYPES}


def _function_name(resources: dict[str, dict[str, Any]], ids: dict[str, str], path: str) -> str | None:
    for lid, r in resources.items():
        if ids[lid] == path and r.get("Type") == "AWS::Lambda::Function":
            name = (r.get("Properties") or {}).get("FunctionName")
            return name if isinstance(name, str) else None
    return None


def _security_lines(prop: str, old: Any, new: Any, pcs: list[PropertyChange]) -> list[str]:
    if not (statements(old) or statements(new)):
        return [pc.describe() for pc in pcs]
    # Statements compare as sets of statements with sorted lists (order means nothing to IAM);
    # what changed outside them (the roles a policy is attached to...) is listed as it is.
    lines = [f"{prop}: {line}" for line in statement_changes(old, new)]
    return lines + [pc.describe() for pc in pcs if "Statement" not in pc.path]


def _resource_summary(rtype: str, props: dict[str, Any], sign: str) -> list[str]:
    found = statements(props)
    if found:
        return [f"{sign} {describe_statement(s)}" for s in found]
    interesting = rules.SECURITY_PROPERTIES.get(rtype, rules.ALL)
    keys = sorted(props) if interesting == rules.ALL else [k for k in interesting if k in props]
    if rtype == "AWS::ApiGateway::Method":
        keys = ["HttpMethod", *keys]
        if "AuthorizationType" not in props:
            props = {**props, "AuthorizationType": "NONE (default)"}
            keys.append("AuthorizationType")
    return [f"{sign} " + ", ".join(f"{k}={show(props[k], 80)}" for k in keys)] if keys else []


def _section_notes(
    old_t: dict[str, Any], new_t: dict[str, Any], old_ids: dict[str, str], new_ids: dict[str, str]
) -> list[str]:
    notes = []
    for section in ("Outputs", "Parameters", "Conditions", "Mappings", "Rules", "Description", "Transform"):
        old = normalize_references(old_t.get(section, ABSENT), old_ids)
        new = normalize_references(new_t.get(section, ABSENT), new_ids)
        if not old_t or not new_t or without_asset_hashes(old) == without_asset_hashes(new):
            continue  # whole-stack additions and removals say it already
        if isinstance(old, dict) and isinstance(new, dict):
            for key in sorted(set(old) | set(new)):
                if without_asset_hashes(old.get(key)) != without_asset_hashes(new.get(key)):
                    verb = "added" if key not in old else "removed" if key not in new else "changed"
                    notes.append(f"{section[:-1] if section.endswith('s') else section} `{key}` {verb}")
        else:
            notes.append(f"{section} changed: {show(old)} → {show(new)}")
    return notes

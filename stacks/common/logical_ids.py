"""Logical ids: reading an L2 construct's, and keeping a resource's when the construct that
creates it moves.

A new logical id makes CloudFormation create the resource anew and delete the old one; for a
resource with a fixed physical name (an alarm's AlarmName) the new one collides with the old,
or the old one's deletion removes the name the new one took. Overriding the new construct's
logical id with the one the old path gave keeps it one resource, updated in place.
"""

from __future__ import annotations

import hashlib
import re

from aws_cdk import CfnElement, Stack
from constructs import IConstruct

# CDK's own rules (core/lib/private/uniqueid.ts): "Default" is left out of the path, "Resource"
# out of the readable part; an 8-character MD5 of the path tells equal readable parts apart.
_HIDDEN_ID = "Default"
_HIDDEN_FROM_HUMAN_ID = "Resource"
_MAX_HUMAN_LENGTH = 240


def logical_id_at(scope: IConstruct, *child_ids: str) -> str:
    """The logical id CDK gives a CfnElement at `scope`/child_ids... (its stack excluded)."""
    stack = Stack.of(scope)
    inside = [c.node.id for c in scope.node.scopes[len(stack.node.scopes) :]]
    components = [c for c in (*inside, *child_ids) if c != _HIDDEN_ID]
    digest = hashlib.md5("/".join(components).encode(), usedforsecurity=False).hexdigest()[:8].upper()
    readable = [c for i, c in enumerate(components) if i == 0 or c != components[i - 1]]
    human = "".join(re.sub(r"[^A-Za-z0-9]", "", c) for c in readable if c != _HIDDEN_FROM_HUMAN_ID)
    return human[:_MAX_HUMAN_LENGTH] + digest


def logical_id_of(construct: IConstruct) -> str:
    """The logical id of an L2 construct's CloudFormation resource (e.g. for a cdk-nag finding)."""
    return Stack.of(construct).get_logical_id(_resource(construct))


def keep_logical_id(moved: IConstruct, *, scope: IConstruct, construct_id: str) -> None:
    """`moved` (an L2 construct, e.g. an alarm) keeps the logical id it had as `scope`/construct_id."""
    _resource(moved).override_logical_id(logical_id_at(scope, construct_id, "Resource"))


def _resource(construct: IConstruct) -> CfnElement:
    resource = construct.node.default_child
    assert isinstance(resource, CfnElement), f"{construct.node.path} has no CloudFormation resource"
    return resource

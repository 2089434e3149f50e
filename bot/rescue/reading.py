"""Reading Rescue's answers liberally: what our WSDL does not list is dropped before zeep reads."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import zeep
from lxml import etree

from bot.rescue.errors import Unavailable

__all__ = ["LiberalReader"]

log = logging.getLogger("bot.rescue")

# Element names come from Rescue; a log line needs no more of one than this.
_MAX_NAME = 80
# Names already logged, once per process; bounded, so answers with ever new names cannot grow it.
_MAX_NOTED = 256
_noted: set[tuple[str, str]] = set()
_noted_lock = threading.Lock()


@dataclass(frozen=True)
class _Shape:
    """One operation's response as the WSDL describes it."""

    namespace: str
    response: str  # the local name of the response element
    order: Mapping[str, int]  # each child's local name -> its place in the sequence
    required: frozenset[str]  # the children with minOccurs >= 1


class LiberalReader(zeep.Plugin):
    """A zeep plugin fitting each answer to the WSDL, so that zeep can read it strictly.

    zeep's strict mode refuses an answer with one element more than the WSDL lists. Its lax
    mode (Settings(strict=False)) is no way out: it also recovers broken XML, ignores
    namespaces, reads a missing result as an empty one (an unknown result instead of no
    answer) and, with an unknown element in the middle, loses every element after it.
    So zeep stays strict and this, run on the parsed envelope before zeep reads it, drops the
    elements the WSDL does not know, puts the known ones in the WSDL's order, and refuses an
    answer lacking a required element or holding one twice.
    """

    def __init__(self, binding: Any) -> None:
        """Learn the response shape of each operation of binding (a zeep binding)."""
        self._shapes = {name: _shape(op) for name, op in binding.all().items()}

    def ingress(self, envelope: Any, http_headers: Any, operation: Any) -> tuple[Any, Any]:
        """Fit the answer to operation's response in place; raise Unavailable if it cannot."""
        name = str(getattr(operation, "name", ""))
        shape = self._shapes.get(name)
        body = _child(envelope, "Body")
        if shape is not None and body is not None:
            _fit(name, shape, body)
        return envelope, http_headers


def _shape(operation: Any) -> _Shape:
    element = operation.output.body
    children = [child for _, child in element.type.elements]
    return _Shape(
        namespace=str(element.qname.namespace),
        response=str(element.qname.localname),
        order={str(child.qname.localname): index for index, child in enumerate(children)},
        required=frozenset(
            str(child.qname.localname) for child in children if child.min_occurs >= 1
        ),
    )


def _fit(operation: str, shape: _Shape, body: Any) -> None:
    """Leave the response element alone in body, its children the WSDL's, in its order."""
    responses = [child for child in body if _is(child, shape, shape.response)]
    if not responses:
        return  # a fault, or an answer to something else: zeep says what it is
    if len(responses) > 1:
        raise Unavailable(f"Rescue answered {shape.response} more than once")
    response = responses[0]
    for other in body:
        if other is not response and isinstance(other.tag, str):
            _note(operation, other, shape)
    # zeep reads the body's first child as the answer: an element ahead of it would be taken.
    body[:] = [response]
    known: list[Any] = []
    for child in response:
        if not isinstance(child.tag, str):
            continue  # a processing instruction: nothing zeep should read
        if any(_is(child, shape, name) for name in shape.order):
            known.append(child)
        else:
            _note(operation, child, shape)
    names = [etree.QName(child).localname for child in known]
    missing = sorted(shape.required.difference(names))
    if missing:
        raise Unavailable(f"Rescue answered without {missing[0]}")
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        # Which of two PINs (or results) would be the one? Neither: refuse the answer.
        raise Unavailable(f"Rescue answered {twice[0]} more than once")
    known.sort(key=lambda child: shape.order[etree.QName(child).localname])
    response[:] = known


def _is(element: Any, shape: _Shape, name: str) -> bool:
    """Tell whether element is the WSDL's name: in Rescue's namespace or, as zeep allows, none."""
    if not isinstance(element.tag, str):
        return False
    qname = etree.QName(element)
    return qname.localname == name and qname.namespace in (None, shape.namespace)


def _child(element: Any, local: str) -> Any | None:
    namespace = etree.QName(element).namespace
    return element.find(f"{{{namespace}}}{local}" if namespace else local)


def _note(operation: str, element: Any, shape: _Shape) -> None:
    """Log an element the WSDL does not know, by name (never its value), once per process."""
    qname = etree.QName(element)
    name = str(qname.localname)[:_MAX_NAME]
    where = "" if qname.namespace in (None, shape.namespace) else " (in another namespace)"
    key = (operation, name + where)
    with _noted_lock:
        if key in _noted or len(_noted) >= _MAX_NOTED:
            return
        _noted.add(key)
    log.warning(
        "Rescue %s answered an element lenspin does not know, ignored: %s%s",
        operation,
        name,
        where,
    )

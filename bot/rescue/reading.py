"""Reading Rescue's answers liberally: what our WSDL does not list is dropped before zeep reads."""

from __future__ import annotations

import logging
import threading
from collections import Counter
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
# How deep types nest inside a response before fitting stops (the WSDL's go two levels).
_MAX_DEPTH = 4


@dataclass(frozen=True)
class _Shape:
    """One element's children as the WSDL describes them (a response, or a type within it)."""

    namespace: str
    order: Mapping[str, int]  # each child's local name -> its place in the sequence
    required: frozenset[str]  # the children with minOccurs >= 1
    repeated: frozenset[str]  # the children that may come more than once (maxOccurs > 1)
    nested: Mapping[str, _Shape]  # the children with children of their own, fitted in turn


@dataclass(frozen=True)
class _Answer:
    """One operation's response: its element's local name and its shape."""

    response: str
    shape: _Shape


class LiberalReader(zeep.Plugin):
    """A zeep plugin fitting each answer to the WSDL, so that zeep can read it strictly.

    zeep's strict mode refuses an answer with one element more than the WSDL lists. Its lax
    mode (Settings(strict=False)) is no way out: it also recovers broken XML, ignores
    namespaces, reads a missing result as an empty one (an unknown result instead of no
    answer) and, with an unknown element in the middle, loses every element after it.
    So zeep stays strict and this, run on the parsed envelope before zeep reads it, drops the
    elements the WSDL does not know, puts the known ones in the WSDL's order, and refuses an
    answer lacking a required element or holding one twice; at every level, so the sessions
    inside getSession_V3's list are fitted as the response itself is.
    """

    def __init__(self, binding: Any) -> None:
        """Learn the response shape of each operation of binding (a zeep binding)."""
        self._answers = {name: _answer(op) for name, op in binding.all().items()}

    def ingress(self, envelope: Any, http_headers: Any, operation: Any) -> tuple[Any, Any]:
        """Fit the answer to operation's response in place; raise Unavailable if it cannot."""
        name = str(getattr(operation, "name", ""))
        answer = self._answers.get(name)
        body = _child(envelope, "Body")
        if answer is not None and body is not None:
            _fit_body(name, answer, body)
        return envelope, http_headers


def _answer(operation: Any) -> _Answer:
    element = operation.output.body
    return _Answer(response=str(element.qname.localname), shape=_shape(element, _MAX_DEPTH))


def _shape(element: Any, depth: int) -> _Shape:
    children = [child for _, child in _elements(element)]
    nested = {}
    for child in children:
        if depth > 0 and _elements(child):
            nested[str(child.qname.localname)] = _shape(child, depth - 1)
    return _Shape(
        namespace=str(element.qname.namespace),
        order={str(child.qname.localname): index for index, child in enumerate(children)},
        required=frozenset(
            str(child.qname.localname) for child in children if child.min_occurs >= 1
        ),
        repeated=frozenset(
            str(child.qname.localname)
            for child in children
            if child.max_occurs == "unbounded" or child.max_occurs > 1
        ),
        nested=nested,
    )


def _elements(element: Any) -> list[tuple[str, Any]]:
    """The child elements of element's type, as zeep lists them; none for a simple type."""
    return list(getattr(element.type, "elements", None) or [])


def _fit_body(operation: str, answer: _Answer, body: Any) -> None:
    """Leave the response element alone in body, fitted to the WSDL."""
    shape = answer.shape
    responses = [child for child in body if _is(child, shape, answer.response)]
    if not responses:
        return  # a fault, or an answer to something else: zeep says what it is
    if len(responses) > 1:
        raise Unavailable(f"Rescue answered {answer.response} more than once")
    response = responses[0]
    for other in body:
        if other is not response and isinstance(other.tag, str):
            _note(operation, other, shape)
    # zeep reads the body's first child as the answer: an element ahead of it would be taken.
    body[:] = [response]
    _fit(operation, shape, response)


def _fit(operation: str, shape: _Shape, element: Any) -> None:
    """Leave element's children the WSDL's, in its order, and fit theirs in turn."""
    known: list[tuple[str, Any]] = []
    for child in element:
        if not isinstance(child.tag, str):
            continue  # a processing instruction: nothing zeep should read
        qname = etree.QName(child)
        if qname.localname in shape.order and qname.namespace in (None, shape.namespace):
            known.append((qname.localname, child))
        else:
            _note(operation, child, shape)
    counts = Counter(name for name, _ in known)
    missing = sorted(shape.required.difference(counts))
    if missing:
        raise Unavailable(f"Rescue answered without {missing[0]}")
    twice = sorted(name for name, n in counts.items() if n > 1 and name not in shape.repeated)
    if twice:
        # Which of two PINs (or results) would be the one? Neither: refuse the answer.
        raise Unavailable(f"Rescue answered {twice[0]} more than once")
    # A stable sort: repeated elements (the sessions of a list) keep the order they came in.
    known.sort(key=lambda item: shape.order[item[0]])
    element[:] = [child for _, child in known]
    for name, child in known:
        inner = shape.nested.get(name)
        if inner is not None:
            _fit(operation, inner, child)


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

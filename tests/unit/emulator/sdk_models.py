"""Checks an emulator answer against the official SDK's model of it, field by field.

The SDK models (``alibabacloud_cas20200407.models``) are generated from Alibaba's API
metadata; their constructor annotations give each field's type. An answer matches when
the model knows every key and every value has the annotated type (nested models too).
"""

import inspect
import typing

_SCALARS = {int: int, str: str, bool: bool, float: (int, float)}


def _check(value, annotation, where: str) -> None:
    origin = typing.get_origin(annotation)
    if origin in (list, typing.List):
        assert isinstance(value, list), f"{where}: expected a list, got {value!r}"
        (item_type,) = typing.get_args(annotation)
        for index, item in enumerate(value):
            _check(item, item_type, f"{where}[{index}]")
        return
    if inspect.isclass(annotation) and annotation in _SCALARS:
        # bool is an int subclass: a flag where a number belongs is a type error.
        ok = isinstance(value, _SCALARS[annotation]) and not (annotation is not bool and isinstance(value, bool))
        assert ok, f"{where}: expected {annotation.__name__}, got {type(value).__name__} {value!r}"
        return
    assert isinstance(value, dict), f"{where}: expected an object for {annotation}, got {value!r}"
    assert_matches(value, annotation, where)


def assert_matches(body: dict, model_class, where: str = "") -> None:
    """``body`` (decoded JSON) is an instance of ``model_class`` as the SDK reads it."""
    where = where or model_class.__name__
    hints = typing.get_type_hints(model_class.__init__)
    wire_names = {}
    for name, annotation in hints.items():
        if name != "return":
            probe = model_class(**{name: _probe_value(annotation)}).to_map()
            # List fields are emitted (empty) even when unset: the probed one is the non-empty one.
            (wire,) = [key for key, value in probe.items() if value != []]
            wire_names[wire] = name
    unknown = sorted(set(body) - set(wire_names))
    assert not unknown, f"{where}: fields the SDK model does not know: {', '.join(unknown)}"
    for wire, value in body.items():
        _check(value, hints[wire_names[wire]], f"{where}.{wire}")


def _probe_value(annotation):
    """A value that makes ``to_map`` emit the field, so that its wire name can be read off."""
    if typing.get_origin(annotation) in (list, typing.List):
        return [_probe_value(typing.get_args(annotation)[0])]
    return annotation()

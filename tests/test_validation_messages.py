"""Every message marshmallow can give for a value someone sent is read in Chinese (app.validation):
the English of a field or validator the translation table forgot would reach a citizen or an officer."""

import inspect
import re

import marshmallow as ma
import pytest

from app.validation import to_chinese

# What a field's message is formatted with when marshmallow raises it for a value sent.
FORMAT = {"obj_type": ("date", "datetime", "time"), "awareness": ("aware", "naive"), "choices": ("a, b",)}
# Raised when answering, never for a value sent (a bug of ours, logged, not shown).
NOT_FOR_INPUT = {"format"}


def _field_messages():
    for name, cls in inspect.getmembers(ma.fields, inspect.isclass):
        if not issubclass(cls, ma.fields.Field):
            continue
        for key, message in getattr(cls, "default_error_messages", {}).items():
            if key in NOT_FOR_INPUT:
                continue
            names = re.findall(r"{(\w+)}", message)
            choices = [FORMAT[n] for n in names]
            for values in _product(choices):
                yield f"{name}.{key}", message.format(**dict(zip(names, values, strict=True)))


def _product(choices):
    if not choices:
        yield ()
        return
    for first in choices[0]:
        for rest in _product(choices[1:]):
            yield (first, *rest)


def _validator_messages():
    yield "Length", ma.validate.Length(min=2, max=5)._format_error("x", ma.validate.Length.message_all)
    yield "Range", ma.validate.Range(min=1, max=5)._format_error(9, ma.validate.Range(min=1, max=5).message_all)
    yield "OneOf", ma.validate.OneOf(["a", "b"])._format_error("c")
    yield "ContainsOnly", ma.validate.ContainsOnly(["a", "b"])._format_error(["c"])
    yield "ContainsNoneOf", ma.validate.ContainsNoneOf(["a"])._format_error(["a"])
    yield "Regexp", ma.validate.Regexp("^a$")._format_error("b")
    yield "Equal", ma.validate.Equal(1)._format_error(2)
    yield "NoneOf", ma.validate.NoneOf([1])._format_error(1)


MESSAGES = sorted({message for _, message in [*_field_messages(), *_validator_messages()]})


@pytest.mark.parametrize("message", MESSAGES)
def test_the_message_is_read_in_chinese(message):
    assert re.search(r"[\u4e00-\u9fff]", to_chinese(message)), message


@pytest.mark.parametrize("page", ["999999999999", "0"])
def test_a_page_out_of_range_is_told_the_pages_own_range(client, page):
    """Not the database's INTEGER range, which starts at -2147483648 where no page could be."""
    response = client.get(f"/api/mp/v1/zones?page={page}")
    assert response.json["error"]["details"]["page"] == ["须在 1 到 2147483647 之间"]


def test_an_integer_without_bounds_keeps_the_databases_range(client):
    response = client.get("/api/mp/v1/campaigns?school_id=99999999999")
    assert response.json["error"]["details"]["school_id"] == ["须在 -2147483648 到 2147483647 之间"]

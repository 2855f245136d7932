"""Building blocks shared by every canonical document.

Amounts are :class:`~ledgerbridge.money.Money` in Python and decimal strings in JSON
(``"12.30"``). A JSON amount carries no currency of its own: it is read in the currency
of the nearest enclosing object that has a ``currency`` field (the document, or a
sub-object such as an order's presentment totals). An integer is a whole amount in
major units (``12`` is twelve dollars, never twelve cents); a JSON number with a
fraction is refused, because it has already been rounded to a binary float.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextvars import ContextVar
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from ledgerbridge.money import Money, MoneyError, currency_exponent, format_minor, parse_minor

__all__ = [
    "Address",
    "Amount",
    "CanonicalModel",
    "CurrencyCode",
    "Document",
    "ExchangeRate",
    "Percent",
    "Quantity",
    "Ref",
    "Source",
]

# The currency in which amount text is read while a model with a ``currency`` field is
# being validated. A context variable, not a global: validations on other threads or
# tasks each see their own.
_scope: ContextVar[str | None] = ContextVar("ledgerbridge_document_currency", default=None)

_DECIMAL_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def _field_error(
    loc: tuple[str | int, ...], kind: str, message: str, value: Any
) -> ValidationError:
    """Build a ValidationError for one field, to raise from a model-level validator."""
    error = PydanticCustomError(kind, message)
    details: list[InitErrorDetails] = [{"type": error, "loc": loc, "input": value}]
    return ValidationError.from_exception_data("document", details)


def _fill(model: BaseModel, name: str, value: Any) -> None:
    """Set a computed field during validation; the model is frozen once returned."""
    object.__setattr__(model, name, value)
    model.__pydantic_fields_set__.add(name)


def _non_empty(items: tuple[Any, ...]) -> tuple[Any, ...]:
    """Refuse an empty tuple (an AfterValidator: it runs only when every item is valid).

    ``Field(min_length=1)`` would also report "too short" when an item is merely invalid.
    """
    if not items:
        raise PydanticCustomError("too_short", "at least one is needed")
    return items


def _refuse_float(value: object, what: str, example: str) -> None:
    if isinstance(value, bool):
        raise PydanticCustomError(f"{what}_type", f"{what} must be a decimal string, not a boolean")
    if isinstance(value, float):
        raise PydanticCustomError(
            f"{what}_float",
            f"{what} {value!r} is a JSON number with a fraction, which is inexact; "
            f'send it as a decimal string such as "{example}"',
        )


def _to_money(value: object) -> Money:
    currency = _scope.get()
    if isinstance(value, Money):
        if currency is not None and value.currency != currency:
            raise PydanticCustomError(
                "amount_currency",
                f"amount is in {value.currency} but the currency is {currency}",
            )
        return value
    _refuse_float(value, "amount", "12.30")
    if not isinstance(value, str | int | Decimal):
        raise PydanticCustomError(
            "amount_type", f"amount must be a decimal string, got {type(value).__name__}"
        )
    if currency is None:
        raise PydanticCustomError(
            "amount_currency_missing",
            "amount has no currency: give the enclosing object a `currency` field",
        )
    try:
        return Money(parse_minor(value, currency), currency)
    except MoneyError as exc:
        raise PydanticCustomError("amount_invalid", str(exc)) from None


def _money_text(value: Money) -> str:
    return format_minor(value.minor, value.currency)


Amount = Annotated[
    Money,
    PlainValidator(_to_money),
    PlainSerializer(_money_text, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"},
                {"type": "integer"},
            ],
            "description": "Decimal amount as a string in the currency of the enclosing "
            'object, e.g. "12.30", with no more decimals than the currency\'s ISO 4217 minor '
            "unit. A JSON integer is read as whole major units; JSON numbers with a fraction "
            "are refused.",
            "examples": ["12.30"],
        },
        mode="validation",
    ),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}, mode="serialization"),
]
"""Exact money: ``Money`` as an attribute, a decimal string in JSON and in dumps."""


def _to_currency(value: object) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("currency_type", "currency must be a three-letter ISO 4217 code")
    try:
        currency_exponent(value)
    except MoneyError as exc:
        raise PydanticCustomError("currency_unknown", str(exc)) from None
    return value


CurrencyCode = Annotated[
    str,
    PlainValidator(_to_currency),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^[A-Z]{3}$",
            "description": "ISO 4217 currency code with a minor unit, e.g. USD.",
        }
    ),
]
"""An ISO 4217 code with a defined minor unit; unknown codes are refused."""


def _exact_decimal(what: str, example: str, *, positive: bool = False):  # noqa: ANN202
    def validate(value: object) -> Decimal:
        _refuse_float(value, what, example)
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, str) and _DECIMAL_TEXT.match(value.strip()):
            number = Decimal(value.strip())
        else:
            raise PydanticCustomError(
                f"{what}_invalid", f'{what} {value!r} is not a decimal string such as "{example}"'
            )
        if not number.is_finite():
            raise PydanticCustomError(f"{what}_invalid", f"{what} {value!r} is not finite")
        if positive and number <= 0:
            raise PydanticCustomError(f"{what}_invalid", f"{what} {value!r} must be positive")
        return number

    return validate


def _decimal_text(value: Decimal) -> str:
    return format(value, "f")


def _decimal_type(what: str, example: str, doc: str, *, positive: bool = False) -> Any:
    return Annotated[
        Decimal,
        PlainValidator(_exact_decimal(what, example, positive=positive)),
        PlainSerializer(_decimal_text, return_type=str, when_used="json"),
        WithJsonSchema(
            {
                "type": "string",
                "pattern": r"^[+-]?(\d+(\.\d*)?|\.\d+)$",
                "description": doc,
                "examples": [example],
            }
        ),
    ]


Quantity = _decimal_type("quantity", "1.5", 'Exact decimal quantity as a string, e.g. "1.5".')
"""An exact decimal quantity; floats are refused."""

Percent = _decimal_type(
    "percent", "20", 'Percentage as a decimal string: "20" means 20 %, "8.875" means 8.875 %.'
)
"""A percentage as an exact decimal: ``Decimal("20")`` is 20 %."""

ExchangeRate = _decimal_type(
    "rate",
    "1.0857",
    "Exchange rate as a positive decimal string: functional-currency units per one unit "
    "of the document currency.",
    positive=True,
)
"""A positive exact exchange rate."""


class CanonicalModel(BaseModel):
    """Base of every canonical model: frozen, no unknown fields, currency scoping.

    A model that declares a ``currency`` field reads the amount strings inside it
    (its own fields and those of nested models) in that currency, and checks that
    ``Money`` values given directly are in that currency too.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="wrap")
    @classmethod
    def _currency_scope(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        if "currency" not in cls.model_fields or not isinstance(data, dict):
            return handler(data)
        currency = data.get("currency")
        if currency is not None:
            try:
                _to_currency(currency)
            except PydanticCustomError as exc:
                # Refuse here so the one real error is reported, not one per amount.
                raise _field_error(("currency",), exc.type, exc.message(), currency) from None
        token = _scope.set(currency)
        try:
            model = handler(data)
        finally:
            _scope.reset(token)
        model._check_currencies()
        return model

    def _check_currencies(self) -> None:
        currency = getattr(self, "currency", None)
        for loc, money in _money_values(self, ()):
            if money.currency != currency:
                here = f"the currency is {currency}" if currency else "`currency` is not set"
                raise _field_error(
                    loc, "amount_currency", f"amount is in {money.currency} but {here}", str(money)
                )


def _money_values(value: Any, loc: tuple[str | int, ...]) -> Iterator[tuple[tuple, Money]]:
    """Money values inside ``value``, not descending into models with their own currency."""
    if isinstance(value, Money):
        yield loc, value
    elif isinstance(value, BaseModel):
        if loc and "currency" in type(value).model_fields:
            return
        for name in type(value).model_fields:
            yield from _money_values(getattr(value, name), (*loc, name))
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            yield from _money_values(item, (*loc, index))


class Source(CanonicalModel):
    """Where a document came from: the key for lineage and idempotency.

    Attributes:
        connection: name of the connection that delivered it ("stripe-eu").
        object_type: the source system's object type ("charge", "Invoice").
        external_id: the object's id in the source system.
        version: the source's version tag or sync token, when it has one.
        updated_at: when the source last changed the object.

    """

    connection: str = Field(min_length=1)
    object_type: str = Field(min_length=1)
    external_id: str = Field(min_length=1)
    version: str | None = None
    updated_at: dt.datetime | None = None


class Ref(CanonicalModel):
    """A reference to another document, by our id or the source system's id.

    Attributes:
        id: our canonical id of the referenced document.
        external_id: its id in the same source system as the referring document.
        name: a display name, for people reading the document.

    """

    id: str | None = None
    external_id: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _needs_an_id(self) -> Ref:
        if self.id is None and self.external_id is None:
            raise PydanticCustomError("ref_missing", "a reference needs `id` or `external_id`")
        return self


class Address(CanonicalModel):
    """A postal address.

    Attributes:
        country: ISO 3166-1 alpha-2 code such as "DE".
        region: state, province or county.

    """

    kind: Literal["billing", "shipping", "registered", "other"] = "billing"
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = Field(default=None, pattern="^[A-Z]{2}$")


class Document(CanonicalModel):
    """Base of every top-level canonical document.

    Attributes:
        type: discriminator naming the document type ("invoice").
        id: our canonical id; optional on input, assigned when stored.
        source: where the document came from; its connection, object type and
            external id are the idempotency key.

    """

    type: str
    id: str | None = None
    source: Source

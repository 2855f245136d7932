"""Supplier invoices as PDFs, generated with their true fields, to try document intake.

Each invoice comes from a seeded generator: its vendor, language and number and date
formats, layout (labels beside, in a column, or above their values), VAT rates,
line count (long ones run over several pages), a buyer block with its own VAT id,
and sometimes a purchase order, a payment-terms sentence instead of a due date, or a
credit note. ``InvoiceSpec`` holds what a reader should find.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from stdnum import iban as stdnum_iban

from ledgerbridge.intake.extract.values import valid_vat_id

__all__ = ["LOCALES", "InvoiceSpec", "invoice_pdf", "random_invoices"]

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Locale:
    """How one country's invoices print their labels, numbers and dates."""

    country: str
    currency: str
    symbol: str
    thousands: str
    decimal: str
    date_format: str
    rates: tuple[int, ...]
    suffixes: tuple[str, ...]
    labels: dict[str, str]
    months: tuple[str, ...] = ()


_EN = {"title": "INVOICE", "credit": "CREDIT NOTE", "number": "Invoice No.",
       "date": "Invoice Date", "due": "Due Date", "order": "PO Number", "bill_to": "Bill To",
       "description": "Description", "qty": "Qty", "price": "Unit Price", "amount": "Amount",
       "net": "Subtotal", "tax": "VAT", "total": "Total Due", "vat_id": "VAT No.",
       "terms": "Payment terms: net {days} days", "page": "Page"}

LOCALES: dict[str, Locale] = {
    "en_US": Locale("US", "USD", "$", ",", ".", "%m/%d/%Y", (0, 8), ("Inc.", "LLC", "Corp."),
                    _EN | {"number": "Invoice #", "tax": "Sales Tax", "order": "P.O. Number",
                           "vat_id": "EIN"}),
    "en_GB": Locale("GB", "GBP", "£", ",", ".", "%d %B %Y", (20, 5), ("Ltd", "Limited", "plc"),
                    _EN, ("January", "February", "March", "April", "May", "June", "July",
                          "August", "September", "October", "November", "December")),
    "de_DE": Locale("DE", "EUR", "€", ".", ",", "%d.%m.%Y", (19, 7), ("GmbH", "AG", "KG"),
                    {"title": "RECHNUNG", "credit": "GUTSCHRIFT", "number": "Rechnungsnummer",
                     "date": "Rechnungsdatum", "due": "Fällig am", "order": "Ihre Bestellung",
                     "bill_to": "Rechnungsempfänger", "description": "Beschreibung",
                     "qty": "Menge", "price": "Einzelpreis", "amount": "Betrag",
                     "net": "Nettobetrag", "tax": "MwSt.", "total": "Gesamtbetrag",
                     "vat_id": "USt-IdNr.", "terms": "Zahlbar innerhalb von {days} Tagen",
                     "page": "Seite"}),
    "fr_FR": Locale("FR", "EUR", "€", " ", ",", "%d/%m/%Y", (20, 10, 5), ("SARL", "SAS", "SA"),
                    {"title": "FACTURE", "credit": "AVOIR", "number": "Facture N°",
                     "date": "Date de facture", "due": "Échéance", "order": "Bon de commande",
                     "bill_to": "Facturé à", "description": "Désignation", "qty": "Quantité",
                     "price": "Prix unitaire", "amount": "Montant", "net": "Total HT",
                     "tax": "TVA", "total": "Total TTC", "vat_id": "N° TVA",
                     "terms": "Paiement à {days} jours", "page": "Page"}),
    "es_ES": Locale("ES", "EUR", "€", ".", ",", "%d-%m-%Y", (21, 10), ("S.L.", "S.A."),
                    {"title": "FACTURA", "credit": "FACTURA RECTIFICATIVA",
                     "number": "Factura nº", "date": "Fecha de factura",
                     "due": "Fecha de vencimiento", "order": "Su pedido",
                     "bill_to": "Cliente", "description": "Concepto", "qty": "Cantidad",
                     "price": "Precio", "amount": "Importe", "net": "Base imponible",
                     "tax": "IVA", "total": "Total factura", "vat_id": "NIF",
                     "terms": "Pago a {days} días", "page": "Página"}),
    "nl_NL": Locale("NL", "EUR", "€", ".", ",", "%d-%m-%Y", (21, 9), ("B.V.", "N.V."),
                    {"title": "FACTUUR", "credit": "CREDITNOTA", "number": "Factuurnummer",
                     "date": "Factuurdatum", "due": "Vervaldatum", "order": "Uw bestelling",
                     "bill_to": "Klant", "description": "Omschrijving", "qty": "Aantal",
                     "price": "Prijs", "amount": "Bedrag", "net": "Subtotaal", "tax": "BTW",
                     "total": "Totaal", "vat_id": "BTW-nummer",
                     "terms": "Te betalen binnen {days} dagen", "page": "Pagina"}),
}

_WORDS = ("Nordic", "Alpine", "Harbor", "Granite", "Blue", "Summit", "Maple", "Cedar", "Delta",
          "Vertex", "Orion", "Silver", "Atlas", "Beacon", "Crescent", "Pioneer", "Quantum")
_TRADES = ("Logistics", "Office Supplies", "Software", "Consulting", "Print", "Facilities",
           "Catering", "Energy", "Telecom", "Hardware", "Cleaning", "Freight")
_GOODS = ("Consulting hours", "Paper A4 80g", "Toner cartridge", "Monthly subscription",
          "Support contract", "Delivery", "Desk chair", "Laptop stand", "Cloud storage 1 TB",
          "On-site service", "Printing brochures", "Cleaning service", "Coffee beans 1kg",
          "Licence renewal", "Network switch", "Cable set", "Training session")


@dataclass(frozen=True, slots=True)
class Item:
    """One printed invoice line."""

    description: str
    quantity: Decimal
    price: Decimal
    rate: int

    @property
    def amount(self) -> Decimal:
        """Quantity times price, to the cent."""
        return (self.quantity * self.price).quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class InvoiceSpec:
    """One generated invoice and the fields a reader should find on it."""

    locale: str
    layout: str
    vendor: str
    vendor_tax_id: str | None
    buyer: str
    buyer_tax_id: str | None
    number: str
    issue_date: dt.date
    due_date: dt.date
    terms_days: int | None
    order: str | None
    iban: str | None
    items: tuple[Item, ...]
    credit: bool

    @property
    def currency(self) -> str:
        """The invoice's currency."""
        return LOCALES[self.locale].currency

    def vat(self) -> dict[int, tuple[Decimal, Decimal]]:
        """Basis and tax per rate, the tax rounded per rate."""
        bases: dict[int, Decimal] = {}
        for item in self.items:
            bases[item.rate] = bases.get(item.rate, Decimal(0)) + item.amount
        return {rate: (basis, (basis * rate / 100).quantize(CENT, ROUND_HALF_UP))
                for rate, basis in sorted(bases.items())}

    @property
    def net(self) -> Decimal:
        """Total without tax."""
        return sum((item.amount for item in self.items), Decimal(0))

    @property
    def tax_total(self) -> Decimal:
        """Total tax."""
        return sum((tax for _, tax in self.vat().values()), Decimal(0))

    @property
    def total(self) -> Decimal:
        """Total with tax."""
        return self.net + self.tax_total

    def truth(self) -> dict[str, object]:
        """The fields a reader should find, by the names the extractor uses."""
        fields: dict[str, object] = {
            "vendor": self.vendor, "number": self.number, "issue_date": self.issue_date,
            "due_date": self.due_date, "currency": self.currency, "net": self.net,
            "tax_total": self.tax_total, "total": self.total}
        for name in ("vendor_tax_id", "order", "iban"):
            if getattr(self, name):
                fields[name] = getattr(self, name)
        return fields


def random_invoices(count: int, seed: int = 7) -> list[InvoiceSpec]:
    """``count`` varied invoices; the same seed gives the same invoices."""
    rng = random.Random(seed)
    return [_spec(rng, i) for i in range(count)]


def _spec(rng: random.Random, index: int) -> InvoiceSpec:
    name = list(LOCALES)[index % len(LOCALES)]
    locale = LOCALES[name]
    vendor = f"{rng.choice(_WORDS)} {rng.choice(_TRADES)} {rng.choice(locale.suffixes)}"
    buyer = f"{rng.choice(_WORDS)} Retail {rng.choice(locale.suffixes)}"
    issue = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(300))
    days = rng.choice((14, 30, 45))
    lines = rng.choice((1, 2, 3, 5, 8)) if rng.random() < 0.85 else rng.randrange(30, 45)
    items = tuple(Item(rng.choice(_GOODS), Decimal(rng.choice((1, 1, 2, 3, 5, 10, 12))),
                       Decimal(rng.randrange(150, 250000)) / 100,
                       rng.choice(locale.rates[:2] if rng.random() < 0.3 else locale.rates[:1]))
                  for _ in range(lines))
    number = rng.choice((f"INV-{rng.randrange(1000, 99999)}", f"{issue.year}-{index + 1:04d}",
                         f"R{rng.randrange(100000, 999999)}",
                         f"{rng.choice('ABFS')}{issue:%y%m}/{rng.randrange(10, 999)}"))
    return InvoiceSpec(
        locale=name, layout=("beside", "column", "above")[index % 3], vendor=vendor,
        vendor_tax_id=_vat_id(rng, locale.country), buyer=buyer,
        buyer_tax_id=_vat_id(rng, locale.country), number=number, issue_date=issue,
        due_date=issue + dt.timedelta(days=days), terms_days=days if index % 5 == 4 else None,
        order=f"PO-{rng.randrange(10000, 99999)}" if rng.random() < 0.4 else None,
        iban=_iban(rng, locale.country) if locale.country != "US" else None,
        items=items, credit=index % 11 == 10)


def _vat_id(rng: random.Random, country: str) -> str | None:
    if country == "US":
        return None
    prefix = {"GB": "GB", "DE": "DE", "FR": "FR", "ES": "ES", "NL": "NL"}[country]
    while True:
        seven = f"{rng.randrange(10**6, 10**7)}"
        gb_check = -sum(int(d) * w for d, w in zip(seven, range(8, 1, -1), strict=True)) % 97
        body = {"NL": f"{rng.randrange(10**8, 10**9)}B{rng.randrange(1, 99):02d}",
                "GB": f"{seven}{gb_check:02d}",
                "ES": f"B{rng.randrange(10**6, 10**7)}",
                "FR": f"{rng.randrange(10, 99)}{rng.randrange(10**8, 10**9)}"}.get(
            country, str(rng.randrange(10**8, 10**9)))
        for check in "0123456789J":
            candidate = prefix + (body + check if country == "ES" else body)
            if valid_vat_id(candidate):
                return candidate
            if country != "ES":
                break


def _iban(rng: random.Random, country: str) -> str:
    length = {"GB": 18, "DE": 18, "FR": 23, "ES": 20, "NL": 14}[country]
    bank = {"GB": "NWBK", "NL": "ABNA"}.get(country, "")
    while True:
        bban = bank + "".join(str(rng.randrange(10)) for _ in range(length - len(bank)))
        iban = f"{country}{stdnum_iban.calc_check_digits(country + '00' + bban)}{bban}"
        if stdnum_iban.is_valid(iban):
            return iban


def _money(value: Decimal, locale: Locale) -> str:
    whole, _, cents = f"{abs(value):.2f}".partition(".")
    groups = f"{int(whole):,}".replace(",", locale.thousands)
    return f"{'-' if value < 0 else ''}{groups}{locale.decimal}{cents}"


def _date(value: dt.date, locale: Locale) -> str:
    if "%B" in locale.date_format:
        return f"{value.day} {locale.months[value.month - 1]} {value.year}"
    return value.strftime(locale.date_format)


def invoice_pdf(spec: InvoiceSpec, *, relabel: Mapping[str, str] | None = None) -> bytes:
    """The PDF of ``spec``, laid out as its layout and locale say.

    ``relabel`` replaces some of the locale's labels, as a vendor with its own wording
    prints them ({"number": "Our ref."}).
    """
    from reportlab.lib.pagesizes import A4  # noqa: PLC0415 - only the sandbox draws PDFs
    from reportlab.pdfgen.canvas import Canvas  # noqa: PLC0415

    locale = LOCALES[spec.locale]
    labels = {**locale.labels, **(relabel or {})}
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=True)
    width, height = A4

    def text(x: float, y: float, value: str, size: float = 9, right: bool = False) -> None:
        canvas.setFont("Helvetica-Bold" if size > 12 else "Helvetica", size)
        (canvas.drawRightString if right else canvas.drawString)(x, y, value)

    text(40, height - 60, spec.vendor, 16)
    text(40, height - 75, f"{_street(spec)} · {locale.country}", 8)
    if spec.vendor_tax_id:
        text(40, height - 87, f"{labels['vat_id']} {spec.vendor_tax_id}", 8)
    text(width - 40, height - 60, labels["credit" if spec.credit else "title"], 18, right=True)
    header = [(labels["number"], spec.number), (labels["date"], _date(spec.issue_date, locale))]
    if spec.terms_days is None:
        header.append((labels["due"], _date(spec.due_date, locale)))
    if spec.order:
        header.append((labels["order"], spec.order))
    y = height - 120
    for i, (label, value) in enumerate(header):
        if spec.layout == "beside":
            text(330, y - 14 * i, f"{label}: {value}")
        elif spec.layout == "column":
            text(330, y - 14 * i, label)
            text(width - 40, y - 14 * i, value, right=True)
        else:
            text(60 + 125 * i, y, label, 8)
            text(60 + 125 * i, y - 12, value)
    text(40, height - 200, labels["bill_to"], 8)
    text(40, height - 212, spec.buyer)
    text(40, height - 224, "12 Market Street")
    if spec.buyer_tax_id:
        text(40, height - 236, f"{labels['vat_id']} {spec.buyer_tax_id}")
    y = height - 280
    page = 1

    def table_header(y: float) -> None:
        text(40, y, labels["description"], 8)
        text(330, y, labels["qty"], 8, right=True)
        text(420, y, labels["price"], 8, right=True)
        text(width - 40, y, labels["amount"], 8, right=True)

    table_header(y)
    for item in spec.items:
        y -= 16
        if y < 90:
            text(width - 40, 40, f"{labels['page']} {page}", 8, right=True)
            canvas.showPage()
            page += 1
            y = height - 80
            table_header(y)
            y -= 16
        text(40, y, item.description + (f" ({item.rate}%)" if len(spec.vat()) > 1 else ""))
        text(330, y, f"{item.quantity}", right=True)
        text(420, y, _money(item.price, locale), right=True)
        text(width - 40, y, _money(item.amount, locale), right=True)
    if y < 200:
        canvas.showPage()
        y = height - 80
    y -= 30
    rows = [(labels["net"], spec.net)]
    rows += [(f"{labels['tax']} {rate}%", tax) for rate, (_, tax) in spec.vat().items()]
    rows.append((labels["total"], spec.total))
    for label, value in rows:
        text(360, y, label)
        text(width - 40, y, f"{_money(value, locale)} {locale.symbol}"
             if locale.symbol != "$" else f"${_money(value, locale)}", right=True)
        y -= 15
    y -= 15
    if spec.terms_days is not None:
        text(40, y, labels["terms"].format(days=spec.terms_days))
        y -= 13
    if spec.iban:
        text(40, y, f"IBAN {' '.join(spec.iban[i:i + 4] for i in range(0, len(spec.iban), 4))}")
    text(40, 40, f"{spec.vendor} · {locale.currency}", 7)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _street(spec: InvoiceSpec) -> str:
    """A street address for the vendor, derived from its name."""
    return f"{len(spec.vendor) * 3} {spec.vendor.split()[0]} Road"

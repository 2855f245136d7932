"""The words invoices print before their values, in the languages we read.

Labels are folded (lower case, no accents). A cell is claimed by the longest label
that matches it, whichever field that label belongs to, so "total ht" is a net
amount and never a grand total, and "date de livraison" is no issue date. Labels in
``OTHER`` belong to no field we read: they only keep their cells from being taken.
"""

from __future__ import annotations

import re
from functools import cache

__all__ = ["BUYER", "FIELD_LABELS", "HEADER_WORDS", "TITLES", "label_of"]

FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "number": (
        "invoice number", "invoice no", "invoice nr", "invoice #", "invoice num", "invoice",
        "inv no", "inv #", "bill number", "bill no", "receipt number", "receipt no",
        "credit note number", "credit note no", "document number", "document no",
        "rechnungsnummer", "rechnungs-nr", "rechnung nr", "rechnung", "gutschrift nr",
        "belegnummer", "facture n", "facture no", "numero de facture", "n de facture",
        "facture", "avoir n", "factura n", "factura no", "numero de factura", "num. factura",
        "factura", "factuurnummer", "factuur nr", "factuur", "fattura n", "numero fattura",
        "fattura", "fatura n", "numero da fatura",
    ),
    "issue_date": (
        "invoice date", "date of issue", "issue date", "date issued", "bill date",
        "document date", "tax point", "date", "dated", "rechnungsdatum", "belegdatum",
        "datum", "date de facture", "date d'emission", "date de la facture",
        "fecha de factura", "fecha de emision", "fecha", "factuurdatum", "data fattura",
        "data di emissione", "data", "data da fatura", "data de emissao",
    ),
    "due_date": (
        "due date", "payment due", "payment due date", "due by", "due", "pay by",
        "payable by", "faellig am", "fallig am", "fallig", "falligkeitsdatum",
        "faelligkeitsdatum", "zahlbar bis", "zahlungsziel", "date d'echeance", "echeance",
        "a payer avant le", "fecha de vencimiento", "vencimiento", "vervaldatum",
        "te betalen voor", "uiterste betaaldatum", "scadenza", "data di scadenza",
        "data de vencimento", "vencimento",
    ),
    "net": (
        "subtotal", "sub total", "sub-total", "net amount", "net total", "total net",
        "total excl. vat", "total excl vat", "total excluding vat", "total excl. tax",
        "total before tax", "amount excl. vat", "total (excl. vat)", "net",
        "total without vat", "nettobetrag", "netto", "summe netto", "gesamt netto",
        "zwischensumme", "rechnungsbetrag netto", "total ht", "montant ht", "sous-total",
        "total hors taxes", "base imponible", "subtotal sin iva", "importe neto",
        "subtotaal", "totaal excl. btw", "totaal excl btw", "netto bedrag",
        "totale imponibile", "imponibile", "totale netto", "valor liquido",
    ),
    "tax_total": (
        "total vat", "vat total", "total tax", "tax total", "total tva", "total taxes",
        "mwst. gesamt", "summe mwst", "umsatzsteuer gesamt", "total iva", "totaal btw",
        "totale iva",
    ),
    "total": (
        "total", "invoice total", "grand total", "total due", "amount due", "balance due",
        "total amount", "amount payable", "total payable", "total incl. vat",
        "total incl vat", "total including vat", "total (incl. vat)", "please pay",
        "gesamtbetrag", "rechnungsbetrag", "endbetrag", "summe brutto", "gesamt brutto",
        "zu zahlen", "zahlbetrag", "bruttobetrag", "total ttc", "montant ttc",
        "net a payer", "montant total", "total a payer", "total factura", "importe total",
        "total a pagar", "totaal", "totaal incl. btw", "totaal incl btw", "te betalen",
        "totale", "totale fattura", "totale documento", "total da fatura",
    ),
    "order": (
        "po number", "po no", "po #", "p.o. number", "p.o.", "po", "purchase order",
        "purchase order number", "your order", "your order no", "order number", "order no",
        "order ref", "bestellnummer", "ihre bestellung", "bestellung", "auftragsnummer",
        "bon de commande", "n bon de commande", "votre commande", "numero de commande",
        "pedido", "n de pedido", "numero de pedido", "su pedido", "ordernummer",
        "uw bestelling", "bestelnummer", "ordine", "numero ordine", "vostro ordine",
    ),
    "other": (
        "delivery date", "date of supply", "order date", "ship date", "shipping date",
        "service period", "period", "lieferdatum", "leistungsdatum", "leistungszeitraum",
        "bestelldatum", "auftragsdatum", "date de livraison", "date de commande",
        "date de facture associee", "n de facture associee", "date de debut de prestation",
        "date de fin de prestation", "fecha de entrega", "fecha de pedido",
        "leverdatum", "orderdatum", "data di consegna", "customer number", "customer no",
        "kundennummer", "n de client", "numero de client", "klantnummer", "page",
        "seite", "total ht total tva total ttc", "amount paid", "paid", "montant deja paye",
        "bereits bezahlt", "bezahlt", "vat number", "vat no", "vat id", "tax id",
        "ust-idnr", "ust-id", "n tva", "n tva intra", "tva intracommunautaire", "nif",
        "cif", "btw-nummer", "btw nummer", "partita iva", "invoice to", "bill to",
    ),
}

BUYER = ("bill to", "billed to", "invoice to", "invoiced to", "sold to", "customer",
         "client", "buyer", "ship to", "deliver to", "rechnungsempfanger",
         "rechnungsadresse", "kunde", "lieferadresse", "facture a", "facturer a",
         "adresse de facturation",
         "destinataire", "cliente", "facturar a", "klant", "factuuradres", "destinatario",
         "spett.le")
"""Labels that open the buyer's block: names and ids under them are not the seller's."""

TITLES = ("invoice", "tax invoice", "commercial invoice", "credit note", "receipt",
          "rechnung", "gutschrift", "quittung", "facture", "avoir", "factura", "recibo",
          "factuur", "creditnota", "fattura", "nota di credito", "fatura", "logo", "page")
"""Document titles, never a company name."""

HEADER_WORDS = ("description", "item", "items", "qty", "quantity", "unit price", "price",
                "amount", "rate", "hours", "beschreibung", "bezeichnung", "artikel",
                "menge", "anzahl", "einzelpreis", "preis", "betrag", "gesamt",
                "designation", "quantite", "qte", "prix unitaire", "prix", "montant",
                "descripcion", "concepto", "cantidad", "precio", "importe", "omschrijving",
                "aantal", "prijs", "bedrag", "descrizione", "quantita", "prezzo", "importo")
"""Words of a line-item table's header row."""

CREDIT_WORDS = ("credit note", "credit memo", "gutschrift", "avoir", "nota de credito",
                "factura rectificativa", "creditnota", "nota di credito")


@cache
def _pattern() -> re.Pattern[str]:
    pairs = sorted(((label, field) for field, labels in FIELD_LABELS.items()
                    for label in labels), key=lambda pair: len(pair[0]), reverse=True)
    alternatives = "|".join(f"(?P<l{i}>{re.escape(label)})" for i, (label, _) in
                            enumerate(pairs))
    prefix, suffix = r"(?:n[o°º]?\.?\s*)?", r"(?![\w-])\s*(?:n[o°º]?\.?|#|:|\.)*\s*"
    return re.compile(rf"^{prefix}(?:{alternatives}){suffix}")


@cache
def _fields() -> dict[str, str]:
    pairs = sorted(((label, field) for field, labels in FIELD_LABELS.items()
                    for label in labels), key=lambda pair: len(pair[0]), reverse=True)
    return {f"l{i}": field for i, (_, field) in enumerate(pairs)}


def label_of(folded: str) -> tuple[str, str, int] | None:
    """The field and label opening the folded cell text ``folded``, and its word count.

    The count includes the punctuation after the label ("No.:", "#"), so the words
    after it are the value.
    """
    match = _pattern().match(folded)
    if match is None or match.lastgroup is None:
        return None
    name = match.lastgroup
    return _fields()[name], match[name], len(folded[:match.end()].split())

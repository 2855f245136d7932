"""Posting rules: one balanced ledger entry per canonical document.

Each document version gets the entry that describes the document in that state;
the sync engine reverses the previous version's entry when a newer one arrives, so
a dispute that is won, an order that is paid or a payroll run that is approved and
then paid never needs a "delta" entry here.

Choices (documented for the finance team in ``mapping docs``):

- Line discounts are booked gross with the discount to ``discounts`` (4050) by
  default; ``discounts: net`` books revenue net of them. Purchases are always net.
- Tax goes per jurisdiction to ``tax.jurisdictions`` (longest prefix; an unlisted
  jurisdiction is refused), or all to ``sales_tax`` when none are listed.
  Purchase tax goes to ``recoverable_tax`` when that role is set, else into the
  expense lines (document-level tax spread over them in proportion).
- Document-level tax on tax-inclusive sales is taken out of the revenue lines in
  proportion to their amounts.
- Payout entries move the net from clearing (1150) to funds in transit (1160);
  the money landing in the bank is matched by reconciliation, not posted here.
- Bank transactions, deals, contacts, items and tax rates post nothing. Balance
  transactions are not documents of their own: the payments, refunds, fees and
  disputes they settle are posted, and payouts carry them for reconciliation.
- Refunds recorded on an order are informational: the Refund document posts.
- A foreign-currency document needs its ``exchange_rate``; rates are never guessed.
- Tax lines, and the revenue or cost lines the tax was charged on, carry the tax's
  code (``ledger/tax.py``); a line taxed under several codes carries them joined by
  ``+``, and document-level tax gives its code to every line when it has only one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ledgerbridge.documents import (
    Bill,
    CreditNote,
    Deal,
    Dispute,
    Document,
    Expense,
    Fee,
    Invoice,
    ItemizedDocument,
    Order,
    Payment,
    Payout,
    PayrollAccrual,
    PayrollRemittance,
    PayrollRun,
    Ref,
    Refund,
    TaxLine,
)
from ledgerbridge.ledger import Account, Entry, Line
from ledgerbridge.ledger.tax import tax_code
from ledgerbridge.mapping._deals import documents_for_deal
from ledgerbridge.mapping._payroll import accrual_entry, remittance_entry, run_entry
from ledgerbridge.mapping._schema import (
    ROLES,
    SOURCE,
    MappingConfig,
    Writeback,
    check_chart,
    is_code,
)
from ledgerbridge.money import Money, convert
from ledgerbridge.sync.apply import Command, Lookup
from ledgerbridge.sync.errors import FatalError
from ledgerbridge.sync.settlement import STATES, InvoiceState

if TYPE_CHECKING:
    from ledgerbridge.ledger import Ledger

__all__ = ["PostingRules", "field_value"]

LABELS = {
    "invoice": "Invoice",
    "credit_note": "Credit note",
    "bill": "Bill",
    "expense": "Expense",
    "payment": "Payment",
    "refund": "Refund",
    "fee": "Fee",
    "dispute": "Dispute",
    "payout": "Payout",
    "order": "Order",
    "payroll_run": "Payroll run",
    "payroll_remittance": "Payroll remittance",
    "payroll_accrual": "Payroll accrual",
}
_ONE = Decimal(1)


def field_value(obj: Any, path: str) -> Any:
    """The value at a dotted path (``source.object_type``, ``lines.0.amount``), or None."""
    value = obj
    for part in path.split("."):
        if value is None:
            return None
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list | tuple):
            value = value[int(part)] if part.isdigit() and int(part) < len(value) else None
        else:
            value = getattr(value, part, None)
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Money):
        return value.text()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _equal(actual: Any, expected: Any) -> bool:
    if actual == expected:
        return True
    return actual is not None and str(_plain(actual)) == str(expected)


def matches(when: dict[str, Any], document: Document) -> bool:
    """Whether ``document`` meets every condition of a rule's ``when``."""
    for path, expected in when.items():
        actual = field_value(document, path)
        if isinstance(expected, dict):
            if "in" in expected and not any(_equal(actual, e) for e in expected["in"]):
                return False
            if "not" in expected and _equal(actual, expected["not"]):
                return False
        elif isinstance(expected, list):
            if not any(_equal(actual, e) for e in expected):
                return False
        elif not _equal(actual, expected):
            return False
    return True


def party_of(ref: Ref | None) -> str | None:
    """The party name written on AR/AP lines: the display name, else the source id."""
    if ref is None:
        return None
    return ref.name or ref.external_id or ref.id


def _code_of(tax: TaxLine) -> str:
    return tax_code(tax.jurisdiction, tax.tax_code, tax.percent)


def _line_codes(doc: ItemizedDocument) -> list[str | None]:
    """The tax code of each line: its own taxes', else the document's only one."""
    doc_codes = sorted({_code_of(t) for t in doc.tax_lines})
    fallback = doc_codes[0] if len(doc_codes) == 1 else None
    codes = []
    for line in doc.lines:
        own = sorted({_code_of(t) for t in line.tax_lines})
        codes.append("+".join(own) if own else fallback)
    return codes


def _allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` over ``weights`` in proportion, exactly (largest remainder)."""
    if not weights:
        return []
    base = sum(weights)
    if base == 0:
        return [total] + [0] * (len(weights) - 1)
    shares = [total * w // base for w in weights]
    rest = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (total * weights[i]) % base, reverse=True)
    for i in order[:rest]:
        shares[i] += 1
    return shares


@dataclass
class _Book:
    """Lines of one entry under construction, in the document's currency."""

    currency: str
    rate: Decimal | None
    lines: list[Line] = field(default_factory=list)

    def add(
        self,
        account: str,
        minor: int,
        memo: str | None = None,
        *,
        party: str | None = None,
        due: dt.date | None = None,
        rate: Decimal | None | bool = True,
        tax_code: str | None = None,
    ) -> None:
        """Add a signed line (debit positive); zero amounts are left out."""
        if minor:
            line_rate = self.rate if rate is True else rate
            self.lines.append(Line(account, Money(minor, self.currency),
                                   line_rate if isinstance(line_rate, Decimal) else None,
                                   memo, party, due, tax_code))


class PostingRules:
    """A connection's posting rules, built from a mapping; implements ``sync.apply.Rules``.

    Without a chart, account hints that look like codes are used as given and names
    go through ``account_aliases``; bound to a ledger (:meth:`for_ledger`) hints are
    also matched against the chart's codes and names, and a document in a foreign
    currency without an exchange rate is refused before posting.
    """

    def __init__(
        self,
        config: MappingConfig,
        *,
        chart: Iterable[Account] | None = None,
        functional_currency: str | None = None,
    ) -> None:
        self.config = config
        self.chart = None if chart is None else {a.code: a for a in chart}
        self.functional_currency = functional_currency or config.functional_currency
        self._aliases = {k.casefold(): v for k, v in config.account_aliases.items()}
        self._names = (
            {} if self.chart is None
            else {a.name.casefold(): a.code for a in self.chart.values()}
        )

    def __repr__(self) -> str:
        return f"PostingRules(rules={len(self.config.rules)}, currency={self.functional_currency})"

    def for_ledger(self, ledger: Ledger) -> PostingRules:
        """These rules bound to a ledger's chart and functional currency."""
        return PostingRules(self.config, chart=ledger.accounts(),
                            functional_currency=ledger.entity.functional_currency)

    def check(self, chart: Iterable[Account]) -> list[tuple[str, str]]:
        """(path, problem) for every account the mapping names that ``chart`` lacks."""
        return check_chart(self.config, chart)

    # -- accounts ---------------------------------------------------------------

    def accounts_for(self, document: Document) -> dict[str, str | None]:
        """Role -> account code for ``document``, after every matching rule."""
        hits = [i for i, rule in enumerate(self.config.rules) if matches(rule.when, document)]
        return self.config.effective_accounts(hits)

    def _role(self, accounts: dict[str, str | None], role: str, document: Document) -> str:
        code = accounts.get(role)
        if code is None:
            raise _fatal(document, f"the mapping sets no account for {role!r} ({ROLES[role]})")
        return code

    def _target(self, accounts: dict[str, str | None], target: str, document: Document) -> str:
        """A methods value: a role name or an account code."""
        return self._role(accounts, target, document) if target in ROLES else target

    def hint(self, hint: str | None, default: str) -> tuple[str, str | None]:
        """Resolve a document's account hint; (code, note) with a note if it fell back."""
        if not hint:
            return default, None
        text = hint.strip()
        alias = self._aliases.get(text.casefold())
        if alias is not None:
            return alias, None
        if self.chart is not None:
            if text in self.chart:
                return text, None
            by_name = self._names.get(text.casefold())
            if by_name is not None:
                return by_name, None
        elif is_code(text):
            return text, None
        return default, f"account hint {hint!r} not in the chart"

    def tax_account(self, accounts: dict[str, str | None], jurisdiction: str,
                    document: Document) -> str:
        """The tax account of a jurisdiction: its longest configured prefix.

        Without configured jurisdictions all tax goes to ``sales_tax``; with some, a
        jurisdiction none of them covers is refused rather than guessed.
        """
        table = self.config.tax.jurisdictions
        if not table:
            return self._role(accounts, "sales_tax", document)
        parts = jurisdiction.split("-")
        for n in range(len(parts), 0, -1):
            code = table.get("-".join(parts[:n]))
            if code is not None:
                return code
        raise _fatal(document, f"tax jurisdiction {jurisdiction!r} is not in the mapping's "
                               f"tax.jurisdictions ({', '.join(sorted(table))}); add it, or "
                               "list no jurisdictions to post all tax to sales_tax")

    # -- the Rules protocol -------------------------------------------------------

    def entry_for(self, document: Document, lookup: Lookup) -> Entry | None:
        """The balanced entry ``document`` posts, or None when it posts nothing."""
        build = getattr(self, f"_{document.type}", None)
        if build is None:
            return None
        accounts = self.accounts_for(document)
        result = build(document, accounts, lookup)
        if result is None:
            return None
        day, memo, book = result
        if not book.lines:
            return None
        self._settle_fx(document, accounts, book)
        return Entry(date=day, lines=tuple(book.lines), memo=memo)

    def commands_for(self, document: Document, lookup: Lookup) -> list[Command]:
        """Write-back commands for ``document`` from the mapping's ``writeback`` list.

        A command is never sent back to the connection the document came from: that
        system already knows the state it told us.
        """
        commands = []
        status = _status(document)
        source = document.source
        for rule in self.config.writeback:
            if rule.document_type != document.type:
                continue
            if rule.status is not None and rule.status != status:
                continue
            if rule.connection in (SOURCE, source.connection):
                continue
            payload: dict[str, Any] = {
                "type": document.type,
                "connection": source.connection,
                "external_id": source.external_id,
                "status": status,
            }
            payload |= _fields(rule, document)
            seed = (document.type, source.connection, source.external_id, str(status))
            commands.append(Command(rule.connection, rule.command, payload, _key(rule, *seed)))
        return commands

    @property
    def invoice_states(self) -> frozenset[str]:
        """Invoice payment states (open, partially_paid, paid) that some write-back names."""
        return frozenset(rule.status for rule in self.config.writeback
                         if rule.document_type == "invoice" and rule.status in STATES)

    def invoice_commands(self, state: InvoiceState, *, source_only: bool = False
                         ) -> list[Command]:
        """Write-backs for an invoice whose payment state the ledger has just computed.

        ``connection: source`` targets the connection the invoice came from;
        ``source_only`` keeps only those.
        """
        commands = []
        for rule in self.config.writeback:
            if rule.document_type != "invoice" or rule.status != state.status:
                continue
            if source_only and rule.connection != SOURCE:
                continue
            target = state.connection if rule.connection == SOURCE else rule.connection
            payload = state.payload() | _fields(rule, state.invoice)
            key = _key(rule, "invoice-state", state.key_seed())
            commands.append(Command(target, rule.command, payload, key))
        return commands

    def derived_for(self, document: Document, lookup: Lookup) -> list[Document]:
        """Documents ``document`` gives rise to: a won deal's invoice, a credit note."""
        if isinstance(document, Deal):
            return documents_for_deal(document, self.config.deals, lookup)
        return []

    # -- helpers --------------------------------------------------------------------

    def _book(self, document: Document, currency: str) -> _Book:
        rate = getattr(document, "exchange_rate", None)
        functional = self.functional_currency
        if functional is not None:
            if currency == functional:
                return _Book(currency, None)
            if rate is None:
                raise _fatal(
                    document,
                    f"it is in {currency} but the ledger keeps {functional}, and it has no "
                    "exchange_rate; give the document its rate (rates are never guessed)",
                )
        return _Book(currency, rate)

    def _settle_fx(self, document: Document, accounts: dict[str, str | None],
                   book: _Book) -> None:
        """Book the exchange difference when lines carry different rates (payments)."""
        functional = self.functional_currency
        if functional is None or book.currency == functional:
            return
        rates = {ln.rate for ln in book.lines}
        if len(rates) < 2 or None in rates:
            return
        total = sum(convert(ln.amount.minor, ln.amount.currency, ln.rate or _ONE, functional)
                    for ln in book.lines)
        if total:
            book.lines.append(Line(self._role(accounts, "fx_gain_loss", document),
                                   Money(-total, functional), None, "Exchange difference"))

    def _memo(self, document: Document, number: str | None = None,
              who: str | None = None) -> str:
        memo = f"{LABELS[document.type]} {number or document.source.external_id}"
        return f"{memo} - {who}" if who else memo

    def _taxes(self, book: _Book, accounts: dict[str, str | None], document: Document,
               tax_lines: Iterable[TaxLine], sign: int, account: str | None = None) -> None:
        by_jurisdiction: dict[tuple[str, str], int] = {}
        for tax in tax_lines:
            key = (tax.jurisdiction, _code_of(tax))
            by_jurisdiction[key] = by_jurisdiction.get(key, 0) + tax.amount.minor
        for (jurisdiction, tax_code_), minor in by_jurisdiction.items():
            code = account or self.tax_account(accounts, jurisdiction, document)
            book.add(code, sign * minor, f"Tax {jurisdiction}", tax_code=tax_code_)

    def _sales_body(self, doc: ItemizedDocument, accounts: dict[str, str | None], book: _Book,
                    sign: int, extra_tax: tuple[TaxLine, ...] = (),
                    extra_discount: int = 0) -> None:
        """Revenue, discounts and tax of a sale; ``sign`` -1 credits revenue (invoice)."""
        separate = self.config.discounts == "separate"
        incl = doc.amounts_include_tax
        revenue = self._role(accounts, "revenue", doc)
        targets, amounts, memos = [], [], []
        discount = extra_discount
        for line in doc.lines:
            code, note = self.hint(line.account, revenue)
            amount = line.line_amount.minor if separate else line.net_amount.minor
            if incl:
                amount -= line.tax_amount.minor
            discount += line.discount_amount.minor if separate else 0
            targets.append(code)
            amounts.append(amount)
            memos.append("; ".join(m for m in (line.description, note) if m) or None)
        if incl:
            doc_tax = sum(t.amount.minor for t in doc.tax_lines)
            amounts = [a - s for a, s in zip(amounts, _allocate(doc_tax, amounts), strict=True)]
        for code, amount, memo, tax_code_ in zip(targets, amounts, memos, _line_codes(doc),
                                                 strict=True):
            book.add(code, sign * amount, memo, tax_code=tax_code_)
        if discount:
            book.add(self._role(accounts, "discounts", doc), -sign * discount, "Discounts")
        taxes = [t for line in doc.lines for t in line.tax_lines] + list(doc.tax_lines)
        self._taxes(book, accounts, doc, [*taxes, *extra_tax], sign)

    def _purchase_body(self, doc: ItemizedDocument, accounts: dict[str, str | None],
                       book: _Book) -> None:
        """Expense lines (net of discounts) and purchase tax, as debits."""
        incl = doc.amounts_include_tax
        default = self._role(accounts, "expense", doc)
        recoverable = accounts.get("recoverable_tax")
        targets, costs, taxes, memos = [], [], [], []
        for line in doc.lines:
            code, note = self.hint(line.account, default)
            tax = line.tax_amount.minor
            targets.append(code)
            costs.append(line.net_amount.minor - (tax if incl else 0))
            taxes.append(tax)
            memos.append("; ".join(m for m in (line.description, note) if m) or None)
        doc_tax = sum(t.amount.minor for t in doc.tax_lines)
        spread = _allocate(doc_tax, costs)
        if incl:
            costs = [c - s for c, s in zip(costs, spread, strict=True)]
        if recoverable is None:
            costs = [c + t + s for c, t, s in zip(costs, taxes, spread, strict=True)]
        for code, cost, memo, tax_code_ in zip(targets, costs, memos, _line_codes(doc),
                                               strict=True):
            book.add(code, cost, memo, tax_code=tax_code_)
        if recoverable is not None:
            all_tax = [t for line in doc.lines for t in line.tax_lines] + list(doc.tax_lines)
            self._taxes(book, accounts, doc, all_tax, 1, account=recoverable)

    def _landing(self, document: Payment | Refund, accounts: dict[str, str | None],
                 hint: str | None = None) -> str:
        """Where a payment or refund moves money: hint, else clearing, else by method."""
        if document.processor:
            default = self._role(accounts, "clearing", document)
        else:
            target = self.config.methods.payment.get(document.method, "bank")
            default = self._target(accounts, target, document)
        return self.hint(hint, default)[0] if hint else default

    # -- one builder per document type ------------------------------------------------

    def _invoice(self, doc: Invoice, accounts: dict, lookup: Lookup) -> tuple | None:
        if doc.status in ("draft", "void"):
            return None
        party = party_of(doc.customer)
        book = self._book(doc, doc.currency)
        book.add(self._role(accounts, "receivable", doc), _minor(doc.total), "Receivable",
                 party=party, due=doc.due_date)
        self._sales_body(doc, accounts, book, -1)
        return doc.issue_date, self._memo(doc, doc.number, party), book

    def _credit_note(self, doc: CreditNote, accounts: dict, lookup: Lookup) -> tuple | None:
        if doc.status in ("draft", "void"):
            return None
        party = party_of(doc.customer)
        book = self._book(doc, doc.currency)
        book.add(self._role(accounts, "receivable", doc), -_minor(doc.total), "Credit",
                 party=party, due=doc.due_date)
        self._sales_body(doc, accounts, book, 1)
        return doc.issue_date, self._memo(doc, doc.number, party), book

    def _bill(self, doc: Bill, accounts: dict, lookup: Lookup) -> tuple | None:
        if doc.status in ("draft", "void"):
            return None
        party = party_of(doc.vendor)
        book = self._book(doc, doc.currency)
        self._purchase_body(doc, accounts, book)
        book.add(self._role(accounts, "payable", doc), -_minor(doc.total), "Payable",
                 party=party, due=doc.due_date)
        return doc.issue_date, self._memo(doc, doc.number, party), book

    def _expense(self, doc: Expense, accounts: dict, lookup: Lookup) -> tuple | None:
        party = None
        if doc.reimbursable:
            paid_from = self._role(accounts, "reimbursements", doc)
            party = party_of(doc.employee)
        else:
            methods = self.config.methods.expense
            target = methods.get(doc.payment_method or "default", methods.get("default", "bank"))
            paid_from = self._target(accounts, target, doc)
        if doc.paid_with:
            paid_from = self.hint(doc.paid_with, paid_from)[0]
        book = self._book(doc, doc.currency)
        self._purchase_body(doc, accounts, book)
        book.add(paid_from, -_minor(doc.total), "Paid", party=party)
        return doc.date, self._memo(doc, None, party_of(doc.vendor)), book

    def _payment(self, doc: Payment, accounts: dict, lookup: Lookup) -> tuple | None:
        received = doc.direction == "received"
        sign = 1 if received else -1  # +1: money comes in (debit the landing account)
        book = self._book(doc, doc.currency)
        fee = doc.fee.minor if doc.fee is not None else 0
        landing = self._landing(doc, accounts, doc.deposit_account)
        book.add(landing, sign * doc.amount.minor - fee, "Deposit" if received else "Paid")
        book.add(self._role(accounts, "processing_fees", doc), fee, "Processor fee")
        open_item = self._role(accounts, "receivable" if received else "payable", doc)
        contact = party_of(doc.contact)
        for app in doc.applications:
            party, rate = contact, True
            if app.document.external_id is not None:
                target = lookup(app.document_type, app.document.external_id)
                if getattr(target, "currency", doc.currency) != doc.currency:
                    raise _fatal(doc, f"it is in {doc.currency} but {app.document_type} "
                                      f"{app.document.external_id} is in {target.currency}; "
                                      "cross-currency applications are not supported")
                party = party_of(getattr(target, "customer", None)
                                 or getattr(target, "vendor", None)) or contact
                target_rate = getattr(target, "exchange_rate", None)
                if self.functional_currency not in (None, doc.currency) and target_rate:
                    rate = target_rate  # the open item leaves at the rate it was booked
            elif app.document.name:
                party = party or app.document.name
            label = app.document.external_id or app.document.id
            book.add(open_item, -sign * app.amount.minor,
                     f"{LABELS.get(app.document_type, app.document_type)} {label}",
                     party=party, rate=rate)
        unapplied = self._role(accounts, "customer_deposits" if received
                               else "vendor_prepayments", doc)
        book.add(unapplied, -sign * doc.unapplied.minor, "Unapplied", party=contact)
        return doc.date, self._memo(doc, doc.reference, contact), book

    def _refund(self, doc: Refund, accounts: dict, lookup: Lookup) -> tuple | None:
        book = self._book(doc, doc.currency)
        fee = doc.fee.minor if doc.fee is not None else 0
        party = party_of(doc.contact)
        if doc.processor is None and doc.payment is not None and doc.payment.external_id:
            # Money goes back the way it came: wait for the payment, then use its account.
            paid = lookup("payment", doc.payment.external_id)
            landing = self._landing(paid, accounts, getattr(paid, "deposit_account", None))
            party = party or party_of(getattr(paid, "contact", None))
        else:
            landing = self._landing(doc, accounts)
        if doc.direction == "sent":
            if doc.credit_note is not None:
                if party is None and doc.credit_note.external_id is not None:
                    note = lookup("credit_note", doc.credit_note.external_id)
                    party = party_of(getattr(note, "customer", None))
                book.add(self._role(accounts, "receivable", doc), doc.amount.minor,
                         "Credit note refunded", party=party)
            else:
                book.add(self._role(accounts, "refunds", doc), doc.amount.minor, doc.reason)
            book.add(landing, -doc.amount.minor - fee, "Refunded")
        else:
            book.add(landing, doc.amount.minor - fee, "Refund received")
            book.add(self._role(accounts, "payable", doc), -doc.amount.minor, doc.reason,
                     party=party)
        book.add(self._role(accounts, "processing_fees", doc), fee, "Processor fee")
        return doc.date, self._memo(doc, None, party), book

    def _fee(self, doc: Fee, accounts: dict, lookup: Lookup) -> tuple | None:
        book = self._book(doc, doc.currency)
        code, note = self.hint(doc.account, self._role(accounts, "processing_fees", doc))
        paid_from = self._role(accounts, "clearing" if doc.processor else "bank", doc)
        book.add(code, doc.amount.minor, "; ".join(m for m in (doc.description, note) if m)
                 or f"{doc.kind} fee")
        book.add(paid_from, -doc.amount.minor, doc.processor)
        return doc.date, self._memo(doc, None, doc.processor), book

    def _dispute(self, doc: Dispute, accounts: dict, lookup: Lookup) -> tuple | None:
        book = self._book(doc, doc.currency)
        losses = self._role(accounts, "dispute_losses", doc)
        fee = doc.fee.minor if doc.fee is not None else 0
        withdrawn = 0 if doc.status == "won" else doc.amount.minor
        book.add(losses, withdrawn, f"Disputed payment {doc.payment.external_id or ''}".strip())
        book.add(losses, fee, "Dispute fee")
        book.add(self._role(accounts, "clearing", doc), -(withdrawn + fee), doc.processor)
        return doc.opened_date, self._memo(doc, None, doc.status), book

    def _payout(self, doc: Payout, accounts: dict, lookup: Lookup) -> tuple | None:
        if doc.status in ("failed", "canceled"):
            return None
        book = self._book(doc, doc.currency)
        # The transit line is an open item with the processor as party, so the bank
        # deposit that lands it reconciles against it.
        book.add(self._role(accounts, "transit", doc), doc.net.minor,
                 f"Payout {doc.source.external_id}", party=doc.processor)
        book.add(self._role(accounts, "clearing", doc), -doc.net.minor, doc.destination)
        return doc.date, self._memo(doc, None, doc.processor), book

    def _order(self, doc: Order, accounts: dict, lookup: Lookup) -> tuple | None:
        if doc.cancelled or doc.financial_status == "voided" or doc.summarized_in is not None:
            return None
        party = party_of(doc.customer)
        book = self._book(doc, doc.currency)
        gift = sum(g.amount.minor for g in doc.gift_cards)
        paid = doc.financial_status in ("paid", "partially_refunded", "refunded")
        if paid:
            book.add(self._role(accounts, "clearing", doc), _minor(doc.total) - gift, "Paid")
        else:
            book.add(self._role(accounts, "receivable", doc), _minor(doc.total) - gift,
                     "Receivable", party=party or doc.number)
        book.add(self._role(accounts, "gift_cards", doc), gift, "Gift cards redeemed")
        separate = self.config.discounts == "separate"
        shipping = self._role(accounts, "shipping", doc)
        ship_discount = 0
        for ship in doc.shipping_lines:
            discount = ship.discount.minor if ship.discount is not None else 0
            amount = ship.amount.minor - (0 if separate else discount)
            if doc.amounts_include_tax:
                amount -= sum(t.amount.minor for t in ship.tax_lines)
            ship_discount += discount if separate else 0
            book.add(shipping, -amount, ship.title or "Shipping")
        extra = tuple(t for ship in doc.shipping_lines for t in ship.tax_lines)
        self._sales_body(doc, accounts, book, -1, extra, ship_discount)
        return doc.order_date, self._memo(doc, doc.number, party), book

    def _payroll_run(self, doc: PayrollRun, accounts: dict, lookup: Lookup) -> tuple | None:
        return run_entry(self, doc, accounts)

    def _payroll_remittance(self, doc: PayrollRemittance, accounts: dict,
                            lookup: Lookup) -> tuple | None:
        return remittance_entry(self, doc, accounts)

    def _payroll_accrual(self, doc: PayrollAccrual, accounts: dict,
                         lookup: Lookup) -> tuple | None:
        return accrual_entry(self, doc, accounts)


def _fields(rule: Writeback, document: Document) -> dict[str, Any]:
    """The document fields a write-back rule copies into its payload."""
    return {path: _plain(field_value(document, path)) for path in rule.fields}


def _key(rule: Writeback, *facts: str) -> str:
    """A write-back's idempotency key: the rule and the facts of what it reports."""
    seed = "|".join((rule.connection, rule.command, *facts))
    return f"{rule.command}:{hashlib.sha256(seed.encode()).hexdigest()[:32]}"


def _minor(value: Money | None) -> int:
    """Minor units of a total that validation always sets."""
    if value is None:  # totals are computed during validation
        raise ValueError("document total missing after validation")
    return value.minor


def _status(document: Document) -> str | None:
    status = getattr(document, "status", None)
    return status if status is not None else getattr(document, "financial_status", None)


def _fatal(document: Document, reason: str) -> FatalError:
    source = document.source
    return FatalError(f"{LABELS.get(document.type, document.type)} {source.external_id}: "
                      f"{reason}", connection=source.connection, stream=document.type,
                      record=source.external_id)
